/**
 * Test-only helpers of @trellis/telemetry (telemetry with in-memory span and metric exporters).
 * A separate entry point so that the production barrel, and with it every runtime image, never
 * carries them.
 */
export * from './in-memory';
