export * from './config';
export * from './error-codes';
export * from './patient-directory';
export * from './identity-patient-directory';
export * from './platform-module';
