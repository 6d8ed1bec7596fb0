// Imported first by main.ts: OpenTelemetry must start before Nest, gRPC, pg and kafkajs load.
import { startTelemetry, telemetryOptionsFromEnv } from '@trellis/telemetry';

// SERVICE_VERSION, DEPLOY_ENV, OTEL_EXPORTER_OTLP_ENDPOINT, PROMETHEUS_PORT (chart: metrics.enabled)
startTelemetry(telemetryOptionsFromEnv('notifications'));
