// RED metrics (rate, errors, duration): one histogram per request kind, labelled by method/route and
// outcome. Rate = count, errors = count where error="true", duration = the histogram itself.
// Names are in the trellis.* namespace so they never collide with instrumentation metrics
// (Prometheus: trellis_grpc_server_duration_{bucket,count,sum}{rpc_method,code,error}).
import { metrics, type Histogram, type Meter } from '@opentelemetry/api';

export type RequestKind = 'grpc' | 'http' | 'fhir' | 'kafka';

export interface RequestOutcome {
  /** gRPC status name ("OK", "NOT_FOUND"), HTTP status ("200"), or "ok"/"error" for kafka. */
  code: string;
  /** Whether the request counts as an error (gRPC non-OK except client errors is your call; default: code != OK/2xx/3xx). */
  error?: boolean;
}

const METER_NAME = '@trellis/telemetry';
const HISTOGRAM_NAMES: Record<RequestKind, string> = {
  grpc: 'trellis.grpc.server.duration',
  http: 'trellis.http.server.duration',
  fhir: 'trellis.fhir.interaction.duration',
  kafka: 'trellis.kafka.process.duration',
};
const LABEL: Record<RequestKind, string> = {
  grpc: 'rpc.method',
  http: 'http.route',
  fhir: 'fhir.interaction',
  kafka: 'messaging.destination.name',
};
// Seconds; covers 1 ms .. 10 s.
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let cache: { meter: Meter; histograms: Map<RequestKind, Histogram> } | undefined;

function histogram(kind: RequestKind): Histogram {
  // Instruments are created lazily: a meter taken before the SDK registered its provider is a no-op forever.
  const meter = metrics.getMeter(METER_NAME);
  if (!cache || cache.meter !== meter) cache = { meter, histograms: new Map() };
  let h = cache.histograms.get(kind);
  if (!h) {
    h = meter.createHistogram(HISTOGRAM_NAMES[kind], {
      unit: 's',
      description: `Duration of ${kind} requests handled by this service (RED: rate, errors, duration)`,
      advice: { explicitBucketBoundaries: BUCKETS },
    });
    cache.histograms.set(kind, h);
  }
  return h;
}

function isError(kind: RequestKind, code: string): boolean {
  if (kind === 'grpc') return code !== 'OK';
  if (kind === 'http' || kind === 'fhir') return !/^[23]\d\d$/.test(code);
  return code !== 'ok';
}

/** Records one finished request. */
export function recordRequest(
  kind: RequestKind,
  name: string,
  outcome: RequestOutcome,
  durationSeconds: number,
): void {
  histogram(kind).record(durationSeconds, {
    [LABEL[kind]]: name,
    code: outcome.code,
    error: String(outcome.error ?? isError(kind, outcome.code)),
  });
}

/** Starts a timer; call the returned function once with the outcome. */
export function startRequestTimer(
  kind: RequestKind,
  name: string,
): (outcome: RequestOutcome) => void {
  const start = process.hrtime.bigint();
  let done = false;
  return (outcome) => {
    if (done) return;
    done = true;
    recordRequest(kind, name, outcome, Number(process.hrtime.bigint() - start) / 1e9);
  };
}

/** A meter for service-specific metrics (outbox lag, consumer lag, ...). Call after startTelemetry. */
export function getMeter(name = '@trellis/service'): Meter {
  return metrics.getMeter(name);
}
