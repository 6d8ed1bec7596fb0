// Imported first by main.ts: OpenTelemetry must start before Nest, gRPC, pg and kafkajs load.
import { startTelemetry } from '@trellis/telemetry';

startTelemetry({
  serviceName: 'results',
  ...(process.env.SERVICE_VERSION ? { serviceVersion: process.env.SERVICE_VERSION } : {}),
  ...(process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? { otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT }
    : {}),
});
