// Child process of trace.int-spec.ts (OpenTelemetry's require hooks do not see Jest's module
// registry, so auto-instrumented spans are only real outside Jest):
//   node -r @swc-node/register apps/gateway/test/trace/child.ts
// Telemetry (in-memory exporters) starts FIRST; everything else is required afterwards so the
// http, grpc, pg, nestjs and kafkajs instrumentations patch it. Writes spans + metrics to
// TRACE_OUT as JSON and exits.
import { startInMemoryTelemetry } from '@trellis/telemetry/testing';

const memory = startInMemoryTelemetry({ serviceName: 'trace-e2e' });

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runStack } = require('./stack') as typeof import('./stack');

runStack(memory).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`trace child failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
