// A minimal OTLP/HTTP (JSON) receiver for the trace test: the identity process exports its spans
// and metrics here (OTEL_EXPORTER_OTLP_ENDPOINT), flushed when it shuts down. Received data is
// converted to the shapes the test dumps for the in-process (in-memory) telemetry.
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface SpanRecord {
  name: string;
  kind: number; // SDK SpanKind: 0 internal, 1 server, 2 client, 3 producer, 4 consumer
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  attributes: Record<string, unknown>;
}

export interface MetricRecord {
  name: string;
  points: Array<{ attributes: Record<string, unknown>; value: unknown }>;
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpSpan {
  name: string;
  kind?: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: KeyValue[];
}
interface OtlpPoint {
  attributes?: KeyValue[];
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
  sum?: number;
}
interface OtlpMetric {
  name: string;
  sum?: { dataPoints?: OtlpPoint[] };
  gauge?: { dataPoints?: OtlpPoint[] };
  histogram?: { dataPoints?: OtlpPoint[] };
}
interface TracesRequest {
  resourceSpans?: Array<{
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: OtlpSpan[] }>;
  }>;
}
interface MetricsRequest {
  resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: OtlpMetric[] }> }>;
}

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

function attributes(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

function pointValue(p: OtlpPoint): unknown {
  if (p.asInt !== undefined) return Number(p.asInt);
  if (p.asDouble !== undefined) return p.asDouble;
  return { count: Number(p.count ?? 0), sum: p.sum };
}

export interface OtlpReceiver {
  endpoint: string;
  spans: SpanRecord[];
  metrics: MetricRecord[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: SpanRecord[] = [];
  const metrics: MetricRecord[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const raw = Buffer.concat(chunks);
        const body = JSON.parse(
          (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'),
        ) as TracesRequest & MetricsRequest;
        if (req.url === '/v1/traces') {
          for (const rs of body.resourceSpans ?? [])
            for (const ss of rs.scopeSpans ?? [])
              for (const s of ss.spans ?? [])
                spans.push({
                  name: s.name,
                  kind: Math.max(0, (s.kind ?? 1) - 1), // OTLP kinds start at 1 (INTERNAL)
                  traceId: s.traceId,
                  spanId: s.spanId,
                  ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                  scope: ss.scope?.name ?? '',
                  attributes: attributes(s.attributes),
                });
        } else if (req.url === '/v1/metrics') {
          for (const rm of body.resourceMetrics ?? [])
            for (const sm of rm.scopeMetrics ?? [])
              for (const m of sm.metrics ?? [])
                metrics.push({
                  name: m.name,
                  points:
                    (m.sum ?? m.gauge ?? m.histogram)?.dataPoints?.map((p) => ({
                      attributes: attributes(p.attributes),
                      value: pointValue(p),
                    })) ?? [],
                });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (e) {
        res.writeHead(400).end(String(e));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('OTLP receiver has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    spans,
    metrics,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
