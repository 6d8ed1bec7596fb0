// Loaded first by main.ts: OpenTelemetry must patch http/grpc/pg/kafkajs before Nest is imported.
import { startTelemetry } from '@trellis/telemetry';

startTelemetry({
  serviceName: 'gateway',
  ...(process.env['OTEL_EXPORTER_OTLP_ENDPOINT']
    ? { otlpEndpoint: process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] }
    : {}),
});
