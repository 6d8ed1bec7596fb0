/**
 * Test-only helpers of @trellis/auth (a caller without a token, a local token authority, scope-matrix runners, the
 * forwarded typed-client kit). A separate entry point so that the production barrel, and with it
 * every runtime image, never carries them.
 */
export * from './authority';
export * from './caller';
export * from './grpc-scope-matrix';
export * from './forwarded-test-kit';
