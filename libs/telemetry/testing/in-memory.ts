// Test helper: telemetry with in-memory span and metric exporters (no network).
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { startTelemetry, type Telemetry, type TelemetryOptions } from '../src/telemetry';

export interface InMemoryTelemetry {
  telemetry: Telemetry;
  spanExporter: InMemorySpanExporter;
  metricExporter: InMemoryMetricExporter;
  metricReader: PeriodicExportingMetricReader;
  /** Finished spans so far. */
  spans(): ReadableSpan[];
  reset(): void;
  shutdown(): Promise<void>;
}

export function startInMemoryTelemetry(options: Partial<TelemetryOptions> = {}): InMemoryTelemetry {
  const spanExporter = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const metricReader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 60_000,
  });
  const telemetry = startTelemetry({
    serviceName: 'test',
    ...options,
    spanProcessors: [
      new SimpleSpanProcessor({ exporter: spanExporter }),
      ...(options.spanProcessors ?? []),
    ],
    metricReaders: [metricReader, ...(options.metricReaders ?? [])],
  });
  return {
    telemetry,
    spanExporter,
    metricExporter,
    metricReader,
    spans: () => spanExporter.getFinishedSpans(),
    reset: () => spanExporter.reset(),
    shutdown: () => telemetry.shutdown(),
  };
}

export type { ReadableSpan };
