import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { freePort } from '@trellis/testing';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeGrpcError } from '../src';
import { describeShape } from './fixtures/echo.module';
import { EchoRequest, type EchoResponse } from './fixtures/generated/trellis/platformtest/v1/echo';
import { clients, startFixture, unary, type Fixture } from './harness';

const SERVING = 1;
const NOT_SERVING = 2;

async function http(
  port: number,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function grpcError(p: Promise<unknown>): Promise<ServiceError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: ServiceError) => e,
  );
}

describe('@trellis/service-kit bootstrap (running service)', () => {
  let fx: Fixture;
  let c: ReturnType<typeof clients>;
  let prometheusPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'platform-int-'));
  const notReadyFile = join(dir, 'not-ready');

  beforeAll(async () => {
    prometheusPort = await freePort();
    fx = await startFixture({
      FIXTURE_NOT_READY_FILE: notReadyFile,
      PROMETHEUS_PORT: String(prometheusPort),
    });
    c = clients(fx.grpcAddress);
  }, 90_000);

  afterAll(async () => {
    c?.echo.close();
    c?.echoCanonical.close();
    c?.health.close();
    c?.reflection.close();
    fx?.child.kill('SIGTERM');
    await fx?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves grpc.health.v1.Health/Check per service, NOT_FOUND for unknown services', async () => {
    expect(await unary(c.health, 'Check', { service: '' })).toEqual({ status: SERVING });
    expect(
      await unary(c.health, 'Check', { service: 'trellis.platformtest.v1.EchoService' }),
    ).toEqual({ status: SERVING });
    expect(await unary(c.health, 'Check', { service: 'liveness' })).toEqual({ status: SERVING });
    const err = await grpcError(
      unary(c.health, 'Check', { service: 'trellis.nope.v1.NopeService' }),
    );
    expect(err.code).toBe(status.NOT_FOUND);
  });

  it('reflects readiness checks in HTTP /health/ready and gRPC health "", not in liveness', async () => {
    expect(await http(fx.httpPort, '/health/live')).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
    const ready = await http(fx.httpPort, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', checks: { 'fixture-toggle': { ok: true } } });

    writeFileSync(notReadyFile, 'x');
    await new Promise((r) => setTimeout(r, 1100)); // readiness cache
    const notReady = await http(fx.httpPort, '/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({
      status: 'unavailable',
      checks: { 'fixture-toggle': { ok: false, error: 'toggled not ready' } },
    });
    expect(await unary(c.health, 'Check', { service: '' })).toEqual({ status: NOT_SERVING });
    expect(await unary(c.health, 'Check', { service: 'liveness' })).toEqual({ status: SERVING });
    expect((await http(fx.httpPort, '/health/live')).status).toBe(200);

    rmSync(notReadyFile);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await http(fx.httpPort, '/health/ready')).status).toBe(200);
  });

  it('lists the services through server reflection (grpc.reflection.v1)', async () => {
    const stream = (
      c.reflection as unknown as {
        serverReflectionInfo: () => ClientDuplexStream<object, Record<string, unknown>>;
      }
    ).serverReflectionInfo();
    const response = await new Promise<Record<string, unknown>>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
      stream.write({ listServices: '' });
    });
    stream.end();
    const names = (response['listServicesResponse'] as { service: { name: string }[] }).service
      .map((s) => s.name)
      .sort();
    expect(names).toEqual(['grpc.health.v1.Health', 'trellis.platformtest.v1.EchoService']);
  });

  it('delivers requests exactly in the shape of the ts-proto interfaces (loader options aligned)', async () => {
    const full = EchoRequest.fromPartial({
      textValue: 'héllo',
      smallNumber: -7,
      bigNumber: 9_007_199_254_740_991,
      flag: true,
      colour: 2,
      tags: ['a', 'b'],
      labels: { k: 'v' },
      nested: { label: 'n', values: [1, 2, 3] },
      at: { seconds: 1_764_000_000, nanos: 5 },
      maybe: '',
      choiceNumber: 0,
      blob: Buffer.from([1, 2, 255]),
      page: { pageSize: 10, pageToken: 't' },
      nestedList: [{ label: 'x', values: [] }],
    });
    const empty = EchoRequest.fromPartial({});
    for (const sent of [full, empty]) {
      const res = await unary<EchoResponse>(c.echoCanonical, 'Echo', sent);
      // what the handler saw: same keys and leaf types as ts-proto's own decoder produces
      expect(JSON.parse(res.receivedJson)).toEqual(
        describeShape(EchoRequest.decode(EchoRequest.encode(sent).finish())),
      );
      // and the values survive the round trip
      const echoed = res.echoed!;
      expect({ ...echoed, blob: Buffer.from(echoed.blob) }).toEqual({
        ...sent,
        blob: Buffer.from(sent.blob),
      });
    }
    // spot checks of the subtle cases (an empty request is an empty buffer on the wire)
    const shape = JSON.parse(
      (await unary<EchoResponse>(c.echoCanonical, 'Echo', empty)).receivedJson,
    ) as Record<string, unknown>;
    expect(shape).toMatchObject({
      textValue: 'string',
      smallNumber: 'number',
      flag: 'boolean',
      colour: 'number',
      blob: 'bytes',
    });
    expect(shape).not.toHaveProperty('nested'); // unset message: undefined, never null
    expect(shape).not.toHaveProperty('maybe'); // proto3 optional unset: absent
    expect(shape['tags']).toEqual([]); // repeated: []
    expect(shape['labels']).toEqual({}); // map: {}
    expect(shape['bigNumber']).toBe('number'); // int64 as number
    const fullShape = JSON.parse(
      (await unary<EchoResponse>(c.echoCanonical, 'Echo', full)).receivedJson,
    ) as Record<string, unknown>;
    expect(fullShape['maybe']).toBe('string'); // optional set to '' is present
    expect(fullShape['choiceNumber']).toBe('number'); // oneof member set to 0 is present
    expect(fullShape).not.toHaveProperty('choice'); // no virtual oneof key
    expect(fullShape['at']).toEqual({ seconds: 'number', nanos: 'number' }); // Timestamp as { seconds, nanos }
  });

  it('propagates the caller correlation id into the handler context', async () => {
    const md = new Metadata();
    md.set('x-correlation-id', 'corr-123');
    const res = await unary<EchoResponse>(c.echo, 'Echo', {}, md);
    expect(res.correlationId).toBe('corr-123');
    const generated = await unary<EchoResponse>(c.echo, 'Echo', {});
    expect(generated.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps domain errors to a gRPC status with ErrorInfo + BadRequest details', async () => {
    const md = new Metadata();
    md.set('x-correlation-id', 'corr-err');
    const notFound = await grpcError(unary(c.echo, 'Fail', { mode: 'domain' }, md));
    expect(notFound.code).toBe(status.NOT_FOUND);
    expect(decodeGrpcError(notFound)).toEqual({
      code: status.NOT_FOUND,
      message: 'No such thing',
      reason: 'THING_NOT_FOUND',
      domain: 'trellis.platformtest',
      correlationId: 'corr-err',
      fieldViolations: [],
    });
    expect(notFound.metadata.get('trellis-error-code')).toEqual(['THING_NOT_FOUND']);

    const invalid = await grpcError(unary(c.echo, 'Fail', { mode: 'validation' }));
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeGrpcError(invalid).fieldViolations).toEqual([
      { field: 'mode', rule: 'enum', message: 'must be one of domain, validation, crash' },
      { field: 'nested.label', rule: 'required', message: 'is required' },
    ]);
  });

  it('turns unexpected errors into INTERNAL with the correlation id and no internals', async () => {
    const md = new Metadata();
    md.set('x-correlation-id', 'corr-crash');
    const err = await grpcError(unary(c.echo, 'Fail', { mode: 'crash' }, md));
    expect(err.code).toBe(status.INTERNAL);
    expect(err.details).toBe('Internal error (correlation id corr-crash)');
    expect(JSON.stringify(decodeGrpcError(err))).not.toMatch(/secret|app\.ts/);
    // ...but the server log has it, with the correlation id
    await new Promise((r) => setTimeout(r, 100));
    const logged = fx.lines.find(
      (l) => l['msg'] === 'unhandled error' && l['correlation_id'] === 'corr-crash',
    );
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged)).toContain('secret internal detail');
  });
  it('answers unknown HTTP routes with a JSON error carrying the correlation id', async () => {
    const res = await fetch(`http://127.0.0.1:${fx.httpPort}/nope`, {
      headers: { 'x-correlation-id': 'corr-http' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-correlation-id')).toBe('corr-http');
    expect(await res.json()).toEqual({
      error: { code: 'HTTP_404', message: 'Cannot GET /nope', correlationId: 'corr-http' },
    });
  });

  it('answers a body over the parser limit 413 and malformed JSON 400, never 500', async () => {
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${fx.httpPort}/health/live`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const big = await post(JSON.stringify({ x: 'x'.repeat(2_000_000) }));
    expect([big.status, ((await big.json()) as { error: { code: string } }).error.code]).toEqual([
      413,
      'HTTP_413',
    ]);
    const bad = await post('{"x":');
    expect(bad.status).toBe(400);
  });

  it('exposes RED metrics per gRPC method and HTTP route on the Prometheus endpoint', async () => {
    await unary(c.echoCanonical, 'Echo', EchoRequest.fromPartial({}));
    await grpcError(unary(c.echo, 'Fail', { mode: 'domain' }));
    await http(fx.httpPort, '/health/live');
    const text = await (await fetch(`http://127.0.0.1:${prometheusPort}/metrics`)).text();
    // label order is the exporter's business: match each label on its own
    const count = (metric: string, labels: string[]) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${metric}_count{`) && labels.every((x) => l.includes(x)))
        .map((l) => Number(l.split(' ').pop()));
    const echo = 'rpc_method="/trellis.platformtest.v1.EchoService/Echo"';
    const fail = 'rpc_method="/trellis.platformtest.v1.EchoService/Fail"';
    expect(
      count('trellis_grpc_server_duration', [echo, 'code="OK"', 'error="false"'])[0],
    ).toBeGreaterThanOrEqual(1);
    expect(
      count('trellis_grpc_server_duration', [fail, 'code="NOT_FOUND"', 'error="true"'])[0],
    ).toBeGreaterThanOrEqual(1);
    expect(
      count('trellis_http_server_duration', ['http_route="GET /health/live"', 'code="200"'])[0],
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain('trellis_grpc_server_duration_bucket{');
  });
});

describe('@trellis/service-kit graceful shutdown (SIGTERM during a stream of calls)', () => {
  it('completes every call accepted before shutdown, refuses later ones cleanly, runs hooks in order, exports a server span', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'platform-int-'));
    const spansFile = join(dir, 'spans.json');
    // a dead collector must neither crash nor slow the service
    const fx = await startFixture({
      FIXTURE_SPANS_FILE: spansFile,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      SHUTDOWN_TIMEOUT_MS: '8000',
    });
    const c = clients(fx.grpcAddress);
    try {
      // warm the channel
      await unary(c.echo, 'Slow', { delayMs: 1, seq: 0 });
      // a Watch on the overall health: SERVING now, NOT_SERVING when shutdown starts, then it ends
      const watched: number[] = [];
      const watch = (c.health as unknown as { Watch: (r: object) => NodeJS.EventEmitter }).Watch({
        service: '',
      });
      watch.on('data', (r: { status: number }) => watched.push(r.status));
      const watchEnded = new Promise<void>((resolve) => {
        watch.on('end', () => resolve());
        watch.on('error', () => resolve());
      });
      type Outcome = { seq: number; ok: boolean; code?: number };
      const outcomes: Promise<Outcome>[] = [];
      let seq = 1;
      let sigtermAt = 0;
      const sendOne = (s: number) =>
        outcomes.push(
          unary<{ seq: number }>(c.echo, 'Slow', { delayMs: 400, seq: s }).then(
            (r) => ({ seq: s, ok: r.seq === s }),
            (e: ServiceError) => ({ seq: s, ok: false, code: e.code }),
          ),
        );
      const started = Date.now();
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          sendOne(seq++);
          if (!sigtermAt && Date.now() - started > 300) {
            sigtermAt = Date.now();
            fx.child.kill('SIGTERM');
          }
          if (sigtermAt && Date.now() - sigtermAt > 600) {
            clearInterval(timer);
            resolve();
          }
        }, 10);
      });
      const results = await Promise.all(outcomes);
      const exit = await fx.exited;
      await watchEnded;
      expect(watched).toEqual([SERVING, NOT_SERVING]);

      const accepted = new Set(
        fx.lines.filter((l) => l['fixture'] === 'slow-accepted').map((l) => l['seq'] as number),
      );
      const ok = results.filter((r) => r.ok);
      const failed = results.filter((r) => !r.ok);
      // every call the server accepted completed successfully
      for (const s of accepted)
        if (s !== 0) expect(results.find((r) => r.seq === s)).toEqual({ seq: s, ok: true });
      expect(ok.length).toBe(accepted.size - 1);
      // later calls were refused cleanly (UNAVAILABLE), never half-processed
      expect(failed.length).toBeGreaterThan(0);
      for (const f of failed) {
        expect(f.code).toBe(status.UNAVAILABLE);
        expect(accepted.has(f.seq)).toBe(false);
      }
      // there really were calls in flight when SIGTERM arrived
      const shuttingDown = fx.lines.find((l) => l['msg'] === 'shutting down')!;
      expect(shuttingDown['in_flight'] as number).toBeGreaterThan(0);
      // hooks ran in order, after the drain; exit 0 with a clean report, well within the deadline
      expect(fx.lines.filter((l) => l['fixture'] === 'hook').map((l) => l['name'])).toEqual([
        'flush-outbox',
        'close-kafka',
        'close-database',
      ]);
      const done = fx.lines.find((l) => l['msg'] === 'shutdown complete')!;
      expect(done).toMatchObject({ grpcDrained: true, clean: true });
      expect(done['durationMs'] as number).toBeLessThan(4000);
      expect(exit.code).toBe(0);

      // telemetry: the gRPC server span of a Slow call (grpc instrumentation, in-memory exporter)
      const spans = JSON.parse(readFileSync(spansFile, 'utf8')) as {
        name: string;
        kind: number;
        attributes: Record<string, unknown>;
      }[];
      const server = spans.filter(
        (s) => s.name === 'grpc.trellis.platformtest.v1.EchoService/Slow' && s.kind === 1,
      );
      expect(server.length).toBeGreaterThanOrEqual(ok.length);
      expect(server[0]!.attributes).toMatchObject({
        'rpc.system': 'grpc',
        'rpc.method': 'Slow',
        'rpc.service': 'trellis.platformtest.v1.EchoService',
      });
      console.log(
        `shutdown proof: sent=${results.length} accepted=${accepted.size - 1} ok=${ok.length} refused=${failed.length} in_flight_at_sigterm=${String(shuttingDown['in_flight'])} shutdown_ms=${String(done['durationMs'])}`,
      );
    } finally {
      c.echo.close();
      c.echoCanonical.close();
      c.health.close();
      c.reflection.close();
      if (fx.child.exitCode === null) fx.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('@trellis/service-kit shutdown deadline', () => {
  it('force-closes calls that outlive SHUTDOWN_TIMEOUT_MS and exits 1 within the deadline', async () => {
    const fx = await startFixture({ SHUTDOWN_TIMEOUT_MS: '500' });
    const c = clients(fx.grpcAddress);
    try {
      await unary(c.echo, 'Slow', { delayMs: 1, seq: 0 });
      const long = unary(c.echo, 'Slow', { delayMs: 5000, seq: 1 }).then(
        () => 'ok',
        (e: ServiceError) => e.code,
      );
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      fx.child.kill('SIGTERM');
      const exit = await fx.exited;
      const elapsed = Date.now() - t0;
      expect(exit.code).toBe(1);
      expect(elapsed).toBeLessThan(2500); // deadline 500 ms + telemetry flush bound + process exit
      expect(await long).not.toBe('ok');
      const done = fx.lines.find((l) => l['msg'] === 'shutdown complete')!;
      expect(done).toMatchObject({ grpcDrained: false, clean: false });
      // hooks are still invoked past the deadline (quick ones finish), but nobody waits for slow ones
      const hookLogs = fx.lines
        .filter((l) => l['hook'] !== undefined)
        .map((l) => [l['hook'], l['msg'], l['error']]);
      expect(hookLogs).toEqual([
        ['flush-outbox', 'shutdown hook failed', 'shutdown deadline exceeded'],
        ['close-kafka', 'shutdown hook done', undefined],
        ['close-database', 'shutdown hook done', undefined],
      ]);
    } finally {
      c.echo.close();
      c.echoCanonical.close();
      c.health.close();
      c.reflection.close();
      if (fx.child.exitCode === null) fx.child.kill('SIGKILL');
    }
  }, 60_000);
});
