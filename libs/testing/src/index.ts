export * from './infra-env';
export * from './test-schema';
export * from './unique';
export * from './factories';
export * from './service-process';
export * from './test-database';
