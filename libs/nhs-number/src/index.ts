export * from './nhs-number';
export * from './allocation';
