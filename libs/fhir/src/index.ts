export * from './definitions';
export * from './outcome';
export * from './rules';
export * from './systems';
export * from './validator';
export * from './mapping/patient';
export { validateNhsNumber } from '@trellis/nhs-number';
export * from './mapping/summaries';
export * from './mapping/referral-update';
