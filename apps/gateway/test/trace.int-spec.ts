/**
 * One trace across the platform: FHIR POST /fhir/Patient at the gateway → gRPC client → identity
 * gRPC server → outbox row (traceparent stored) → relay publish → Kafka → inbox consumer.
 * The stack runs in a child process (trace/child.ts) with in-memory exporters, because Jest's
 * module registry bypasses OpenTelemetry's require hooks; the child writes its spans and metrics
 * to a JSON file asserted here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');

interface SpanDump {
  name: string;
  kind: number; // SpanKind: 0 internal, 1 server, 2 client, 3 producer, 4 consumer
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  scope: string;
  attributes: Record<string, unknown>;
}
interface Dump {
  nhsNumber: string;
  event: string;
  spans: SpanDump[];
  metrics: Array<{
    name: string;
    points: Array<{ attributes: Record<string, unknown>; value: unknown }>;
  }>;
}

let dump: Dump;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trace-e2e-'));
  const out = join(dir, 'trace.json');
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', join(__dirname, 'trace', 'child.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), TRACE_OUT: out },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else reject(new Error(`trace child exited ${code ?? signal}:\n${stderr.slice(-4000)}`));
    });
  });
  dump = JSON.parse(readFileSync(out, 'utf8')) as Dump;
}, 90_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SERVER = 1;
const CLIENT = 2;
const PRODUCER = 3;
const CONSUMER = 4;

describe('one trace: FHIR gateway → gRPC → identity → outbox → Kafka → consumer', () => {
  it('links every hop into the trace of the FHIR request', () => {
    const spans = dump.spans;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const descends = (span: SpanDump | undefined, ancestor: SpanDump): boolean => {
      for (let s = span; s; s = byId.get(s.parentSpanId ?? '')) if (s === ancestor) return true;
      return false;
    };
    const http = spans.find(
      (s) =>
        s.kind === SERVER &&
        s.scope.includes('instrumentation-http') &&
        (s.attributes['http.request.method'] ?? s.attributes['http.method']) === 'POST' &&
        String(s.attributes['url.path'] ?? s.attributes['http.target'] ?? '') === '/fhir/Patient',
    );
    expect(http).toBeDefined();
    expect(http!.parentSpanId).toBeUndefined(); // the FHIR request starts the trace
    const traceId = http!.traceId;
    const inTrace = spans.filter((s) => s.traceId === traceId);

    // gateway gRPC client → identity gRPC server (propagated through gRPC metadata)
    const grpcServer = inTrace.find(
      (s) => s.kind === SERVER && s.scope.includes('grpc') && /PatientService/.test(s.name),
    );
    expect(grpcServer).toBeDefined();
    const grpcClient = byId.get(grpcServer!.parentSpanId ?? '');
    expect(grpcClient).toMatchObject({ kind: CLIENT, traceId });
    expect(descends(grpcClient, http!)).toBe(true);

    // relay publish of this event: a PRODUCER span in the same trace, child of a span of identity's request
    const publish = inTrace.find(
      (s) =>
        s.kind === PRODUCER &&
        s.scope === '@trellis/events' &&
        s.attributes['messaging.message.id'] === dump.event,
    );
    expect(publish).toBeDefined();
    expect(publish!.attributes['messaging.destination.name']).toBe('trellis.identity.patient.v1');
    // enqueued inside identity's handler: the publish span hangs under the gRPC server span
    expect(descends(publish, grpcServer!)).toBe(true);

    // the consumer continues from the relay's publish span
    const consume = inTrace.find(
      (s) =>
        s.kind === CONSUMER &&
        s.scope === '@trellis/events' &&
        s.attributes['messaging.message.id'] === dump.event,
    );
    expect(consume).toBeDefined();
    expect(consume!.parentSpanId).toBe(publish!.spanId);

    // no stray root traces for the event's publish (kafkajs auto spans are suppressed in the relay)
    const strayPublish = spans.filter(
      (s) =>
        s.kind === PRODUCER &&
        s.traceId !== traceId &&
        s.attributes['messaging.message.id'] === dump.event,
    );
    expect(strayPublish).toEqual([]);
  });

  it('exports RED per FHIR interaction and outbox / consumer lag metrics', () => {
    const metric = (name: string) => dump.metrics.find((m) => m.name === name);
    const fhir = metric('trellis.fhir.interaction.duration');
    expect(fhir?.points).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          attributes: { 'fhir.interaction': 'Patient.create', code: '201', error: 'false' },
        }),
      ]),
    );
    const grpc = metric('trellis.grpc.server.duration');
    expect(grpc?.points.map((p) => p.attributes['rpc.method'])).toEqual(
      expect.arrayContaining([expect.stringMatching(/PatientService/)]),
    );
    const kafka = metric('trellis.kafka.process.duration');
    expect(kafka?.points).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          attributes: {
            'messaging.destination.name': 'trellis.identity.patient.v1',
            code: 'ok',
            error: 'false',
          },
        }),
      ]),
    );
    const unsent = metric('trellis.events.outbox.unsent');
    expect(unsent?.points.length).toBeGreaterThan(0);
    expect(unsent!.points.every((p) => typeof p.value === 'number' && p.value >= 0)).toBe(true);
    expect(metric('trellis.events.outbox.oldest_age')?.points.length).toBeGreaterThan(0);
    const lag = metric('trellis.events.consumer.lag');
    expect(lag?.points).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          attributes: expect.objectContaining({ topic: 'trellis.identity.patient.v1' }),
        }),
      ]),
    );
  });
});
