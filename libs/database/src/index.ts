export * from './connection';
export * from './tls';
export * from './migration-files';
export * from './migrate';
export * from './client';
export * from './lifecycle';
export * from './errors';
export * from './migrate-main';
