// Telemetry bootstrap: must run before NestJS, @grpc/grpc-js or pg are imported, so the
// instrumentations can patch them. No Nest import here (apps call it on the first line of main.ts).
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { trellisPropagator } from './trace-context';

export interface TelemetryOptions {
  /** `service.name`, e.g. "identity". */
  serviceName: string;
  /** `service.version`, e.g. the app's package.json version. */
  serviceVersion?: string;
  /** Deployment environment (`deployment.environment.name`), e.g. "local", "prod". */
  environment?: string;
  /**
   * OTLP/HTTP base URL of a collector, e.g. "http://otel-collector:4318" (traces go to
   * /v1/traces, metrics to /v1/metrics). Unset: nothing is exported over OTLP.
   */
  otlpEndpoint?: string;
  /** Serve Prometheus metrics on this port (path /metrics). Unset: no Prometheus endpoint. */
  prometheusPort?: number;
  /** Host for the Prometheus endpoint (default 0.0.0.0). */
  prometheusHost?: string;
  /** Extra span processors (tests: a SimpleSpanProcessor over an InMemorySpanExporter). */
  spanProcessors?: SpanProcessor[];
  /** Extra metric readers (tests: a reader over an InMemoryMetricExporter). */
  metricReaders?: IMetricReader[];
  /**
   * Replace the default instrumentations (http, grpc, and pg and nestjs-core when something consumes
   * their output: defaultInstrumentations). Kafka spans come from
   * @trellis/events itself (relay publish, inbox process), not from an instrumentation.
   */
  instrumentations?: Instrumentation[];
  /** Export timeout per OTLP request (default 2000 ms): a dead collector costs at most this, off the request path. */
  exportTimeoutMillis?: number;
  /** Upper bound for shutdown() (flush) (default 2000 ms). */
  shutdownTimeoutMillis?: number;
  /** Metric export interval for OTLP (default 15000 ms). */
  metricExportIntervalMillis?: number;
}

export interface Telemetry {
  readonly serviceName: string;
  readonly serviceVersion: string;
  /** Flushes and stops exporters; never throws and never takes longer than shutdownTimeoutMillis. */
  shutdown(): Promise<void>;
}

let current: (Telemetry & { generation: number }) | undefined;
let generation = 0;

/** Health-check and metrics scrapes are noise in traces. */
const IGNORED_PATHS = ['/health/live', '/health/ready', '/metrics'];

/** What the process does with telemetry: spans exported or collected, metrics read. */
export interface TelemetryConsumers {
  spans: boolean;
  metrics: boolean;
}

/**
 * The instrumentations a process needs for its consumers. http and grpc always: they carry the
 * trace context across processes (logs and the outbox's event headers name the caller's trace)
 * and record the request metrics. pg only when its spans or its `db.client.*` metrics go
 * somewhere, nestjs-core only when spans do: with neither, their per-query and per-handler work
 * (attributes, the statement's operation name, no-op spans, context binding: ≈ 4 % of identity's
 * CPU on a create, docs/performance.md "Hot paths: create, fourth pass") is made for nobody.
 */
export function defaultInstrumentations(
  consumers: TelemetryConsumers = { spans: true, metrics: true },
): Instrumentation[] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => IGNORED_PATHS.some((p) => (req.url ?? '').startsWith(p)),
    }),
    new GrpcInstrumentation({
      // health checks from kubelet/probes would otherwise dominate the traces
      ignoreGrpcMethods: [/^Check$/, /^Watch$/, /^ServerReflectionInfo$/],
    }),
    ...(consumers.spans || consumers.metrics
      ? [new PgInstrumentation({ requireParentSpan: true })]
      : []),
    ...(consumers.spans ? [new NestInstrumentation()] : []),
  ] as unknown as Instrumentation[];
}

/**
 * Starts the OpenTelemetry NodeSDK once per process (later calls return the running instance).
 * No resource detectors run (they would probe cloud metadata hosts); the resource is
 * service.name / service.version / deployment.environment.name / service.instance.id only.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (current) return current;
  const serviceVersion = options.serviceVersion ?? '0.0.0';
  const exportTimeout = options.exportTimeoutMillis ?? 2000;
  const shutdownTimeout = options.shutdownTimeoutMillis ?? 2000;

  // OTel's own diagnostics (e.g. "export failed: ECONNREFUSED") go to stderr at WARN, once per kind.
  diag.setLogger(onceLogger(), DiagLogLevel.WARN);

  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  const metricReaders: IMetricReader[] = [...(options.metricReaders ?? [])];
  const base = options.otlpEndpoint?.replace(/\/+$/, '');
  if (base) {
    spanProcessors.push(
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${base}/v1/traces`, timeoutMillis: exportTimeout }),
        maxQueueSize: 4096,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: exportTimeout,
      }),
    );
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({
          url: `${base}/v1/metrics`,
          timeoutMillis: exportTimeout,
        }),
        exportIntervalMillis: options.metricExportIntervalMillis ?? 15000,
        exportTimeoutMillis: exportTimeout,
      }),
    );
  }
  if (options.prometheusPort !== undefined) {
    metricReaders.push(
      new PrometheusExporter({
        port: options.prometheusPort,
        host: options.prometheusHost ?? '0.0.0.0',
      }),
    );
  }

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: serviceVersion,
      'deployment.environment.name': options.environment ?? 'local',
      'service.instance.id': `${process.env['HOSTNAME'] ?? 'local'}-${process.pid}`,
    }),
    autoDetectResources: false,
    textMapPropagator: trellisPropagator(),
    resourceDetectors: [],
    spanProcessors,
    metricReaders,
    instrumentations:
      options.instrumentations ??
      defaultInstrumentations({
        spans: spanProcessors.length > 0,
        metrics: metricReaders.length > 0,
      }),
  } as ConstructorParameters<typeof NodeSDK>[0]);
  sdk.start();

  const myGeneration = ++generation;
  const telemetry = {
    generation: myGeneration,
    serviceName: options.serviceName,
    serviceVersion,
    async shutdown(): Promise<void> {
      if (current?.generation === myGeneration) current = undefined;
      await Promise.race([
        sdk.shutdown().catch(() => undefined),
        new Promise<void>((resolve) => setTimeout(resolve, shutdownTimeout).unref()),
      ]);
    },
  };
  current = telemetry;
  return telemetry;
}

/**
 * Options from the standard environment (the one place besides config that reads env: it runs
 * before config validation): SERVICE_VERSION, DEPLOY_ENV, OTEL_EXPORTER_OTLP_ENDPOINT, PROMETHEUS_PORT.
 *   startTelemetry(telemetryOptionsFromEnv('identity'));
 */
export function telemetryOptionsFromEnv(
  serviceName: string,
  env: Record<string, string | undefined> = process.env,
): TelemetryOptions {
  const port = Number(env['PROMETHEUS_PORT']);
  return {
    serviceName,
    ...(env['SERVICE_VERSION'] ? { serviceVersion: env['SERVICE_VERSION'] } : {}),
    ...(env['DEPLOY_ENV'] ? { environment: env['DEPLOY_ENV'] } : {}),
    ...(env['OTEL_EXPORTER_OTLP_ENDPOINT']
      ? { otlpEndpoint: env['OTEL_EXPORTER_OTLP_ENDPOINT'] }
      : {}),
    ...(Number.isInteger(port) && port > 0 && port < 65536 ? { prometheusPort: port } : {}),
  };
}

/** The running telemetry, if started. */
export function currentTelemetry(): Telemetry | undefined {
  return current;
}

function onceLogger(): DiagLogger {
  const seen = new Set<string>();
  const write = (level: string) => (message: string) => {
    const key = `${level}:${message.slice(0, 80)}`;
    if (seen.has(key)) return;
    seen.add(key);
    process.stderr.write(
      JSON.stringify({ level, time: new Date().toISOString(), msg: `otel: ${message}` }) + '\n',
    );
  };
  const noop = () => undefined;
  return { error: write('error'), warn: write('warn'), info: noop, debug: noop, verbose: noop };
}
