// Loaded first by main.ts: OpenTelemetry must patch http/grpc/pg/kafkajs before Nest is imported.
import { startTelemetry, telemetryOptionsFromEnv } from '@trellis/telemetry';

// SERVICE_VERSION, DEPLOY_ENV, OTEL_EXPORTER_OTLP_ENDPOINT, PROMETHEUS_PORT (chart: metrics.enabled)
startTelemetry(telemetryOptionsFromEnv('gateway'));
