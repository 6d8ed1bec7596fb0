// @trellis/telemetry: OpenTelemetry bootstrap (before Nest), RED metrics, Kafka trace context.
// No NestJS imports here.
export {
  currentTelemetry,
  defaultInstrumentations,
  startTelemetry,
  telemetryOptionsFromEnv,
} from './telemetry';
export type { Telemetry, TelemetryConsumers, TelemetryOptions } from './telemetry';
export { getMeter, recordRequest, startRequestTimer } from './red-metrics';
export type { RequestKind, RequestOutcome } from './red-metrics';
export {
  activeTraceIds,
  currentTraceHeaders,
  extractTraceContext,
  injectTraceHeaders,
  PreservingTraceContextPropagator,
  traceIdOf,
  trellisPropagator,
  withTraceContext,
  withTracingSuppressed,
} from './trace-context';
export type { HeaderValue, KafkaHeaders, TraceHeaders } from './trace-context';
