import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './free-port';
import {
  grpcHealthCheck,
  GrpcServingStatus,
  runningServiceCount,
  ServiceExitedError,
  spawnService,
  type ServiceProcess,
} from './service-process';

// Tiny stand-in services (plain Node, no SWC) written to a temp dir.
const dir = mkdtempSync(join(tmpdir(), 'service-process-'));
function script(name: string, body: string): string {
  const file = join(dir, `${name}.js`);
  writeFileSync(file, `'use strict';\n${body}\n`);
  return file;
}

// An HTTP service: /ready answers 200 after READY_AFTER_MS; /die exits with code 2 after a line on stderr.
const httpService = script(
  'http',
  `
const http = require('node:http');
const started = Date.now();
if (process.env.IGNORE_SIGTERM) process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
http.createServer((req, res) => {
  if (req.url === '/die') { process.stderr.write('fatal: lost my database\\n'); res.end(); setTimeout(() => process.exit(2), 20); return; }
  res.statusCode = Date.now() - started >= Number(process.env.READY_AFTER_MS || 0) ? 200 : 503;
  res.end();
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`,
);

// A grpc.health.v1 server: NOT_SERVING for the first two checks, then SERVING.
const grpcService = script(
  'grpc',
  `
const grpc = require(process.env.GRPC_JS);
let checks = 0;
const server = new grpc.Server();
server.addService({
  Check: {
    path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
    requestSerialize: (b) => b, requestDeserialize: (b) => b,
    responseSerialize: (s) => Buffer.from([0x08, s]), responseDeserialize: (b) => b,
  },
}, { Check: (_call, cb) => cb(null, ++checks > 2 ? 1 : 2) });
server.bindAsync('127.0.0.1:' + process.env.PORT, grpc.ServerCredentials.createInsecure(), () => {});
`,
);

const crashing = script(
  'crash',
  `console.log('starting'); process.stderr.write('Invalid configuration for x (1 problem): FOO: required\\n'); process.exit(3);`,
);
const silent = script('silent', `setInterval(() => undefined, 1000);`);

const plain = { nodeArgs: [] as string[] };

/** No such process, or a zombie nobody has reaped yet (re-parented to an init that does not reap). */
function isGone(pid: number): boolean {
  if (!existsSync('/proc')) {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}
const started: ServiceProcess[] = [];

afterAll(async () => {
  await Promise.allSettled(started.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('spawnService', () => {
  it('resolves once HTTP readiness answers 200 and stop() ends the process with SIGTERM', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const svc = await spawnService({
      ...plain,
      name: 'http-svc',
      entry: httpService,
      env: { ...process.env, PORT: String(port), READY_AFTER_MS: '400' },
      ready: { http: `http://127.0.0.1:${port}/ready` },
    });
    started.push(svc);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(svc.running).toBe(true);
    expect(svc.output().stdout).toContain('listening');
    const before = runningServiceCount();
    expect(await svc.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(svc.running).toBe(false);
    expect(runningServiceCount()).toBe(before - 1);
    await expect(fetch(`http://127.0.0.1:${port}/ready`)).rejects.toThrow();
    expect(await svc.stop()).toEqual({ code: null, signal: 'SIGTERM' }); // idempotent
  });

  it('waits for grpc.health.v1 SERVING and exposes the gRPC address', async () => {
    const port = await freePort();
    expect(await grpcHealthCheck(`127.0.0.1:${port}`, '', 300)).toBeUndefined(); // nothing listens
    const svc = await spawnService({
      ...plain,
      name: 'grpc-svc',
      entry: grpcService,
      env: { ...process.env, PORT: String(port), GRPC_JS: require.resolve('@grpc/grpc-js') },
      ready: { grpc: `127.0.0.1:${port}` },
    });
    started.push(svc);
    expect(svc.grpcUrl).toBe(`127.0.0.1:${port}`);
    expect(await grpcHealthCheck(svc.grpcUrl)).toBe(GrpcServingStatus.SERVING);
    await svc.stop();
  });

  it('rejects at once with the output tail when the process exits during start-up', async () => {
    const t0 = Date.now();
    const err = await spawnService({
      ...plain,
      name: 'crashy',
      entry: crashing,
      env: { ...process.env },
      ready: { http: 'http://127.0.0.1:1/ready' },
      readyTimeoutMs: 30_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceExitedError);
    expect((err as Error).message).toMatch(/^crashy exited with code 3 during start-up/);
    expect((err as Error).message).toContain('FOO: required');
    expect((err as Error).message).toContain('starting');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('kills a process that is not ready in time', async () => {
    const before = runningServiceCount();
    const port = await freePort();
    await expect(
      spawnService({
        ...plain,
        name: 'slow',
        entry: silent,
        env: { ...process.env },
        ready: { http: `http://127.0.0.1:${port}/ready` },
        readyTimeoutMs: 500,
      }),
    ).rejects.toThrow(/^slow was not ready within 500 ms/);
    expect(runningServiceCount()).toBe(before);
  });

  it('escalates to SIGKILL when SIGTERM does not end the process in time', async () => {
    const port = await freePort();
    const svc = await spawnService({
      ...plain,
      name: 'stubborn',
      entry: httpService,
      env: { ...process.env, PORT: String(port), IGNORE_SIGTERM: '1' },
      ready: { http: `http://127.0.0.1:${port}/ready` },
      stopTimeoutMs: 300,
    });
    started.push(svc);
    expect(await svc.stop()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(svc.output().stdout).toContain('ignoring SIGTERM');
  });

  it('reports a crash after start-up and makes stop() reject with it', async () => {
    const port = await freePort();
    const crashes: ServiceExitedError[] = [];
    const svc = await spawnService({
      ...plain,
      name: 'fragile',
      entry: httpService,
      env: { ...process.env, PORT: String(port) },
      ready: { http: `http://127.0.0.1:${port}/ready` },
      onUnexpectedExit: (e) => crashes.push(e),
    });
    started.push(svc);
    await fetch(`http://127.0.0.1:${port}/die`);
    expect(await svc.exited).toEqual({ code: 2, signal: null });
    expect(svc.running).toBe(false);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]?.message).toMatch(/^fragile exited with code 2 unexpectedly/);
    expect(crashes[0]?.message).toContain('fatal: lost my database');
    await expect(svc.stop()).rejects.toBe(crashes[0]);
  });
});

describe('a test process that never calls stop()', () => {
  it('still exits, and its service is killed with it', async () => {
    const port = await freePort();
    // a plain Node "test process" that starts a service and forgets it
    const parent = spawn(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        '-e',
        `require(${JSON.stringify(join(__dirname, 'service-process.ts'))})
          .spawnService({ name: 'forgotten', entry: ${JSON.stringify(httpService)}, nodeArgs: [],
            env: { ...process.env, PORT: '${port}' }, ready: { http: 'http://127.0.0.1:${port}/ready' } })
          .then((s) => console.log(s.pid));`,
      ],
      { cwd: join(__dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const code = await new Promise((r) => parent.once('close', r));
    expect(code).toBe(0);
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    expect(isGone(pid)).toBe(true);
  }, 30_000);
});

describe('parent watchdog', () => {
  it('terminates a service whose parent is not the one that started it', async () => {
    const child = spawn(
      process.execPath,
      ['-r', join(__dirname, 'parent-watchdog.cjs'), silent],
      // a parent pid that is not ours: as if the test process had died and the child been re-parented
      { env: { ...process.env, TRELLIS_TEST_PARENT_PID: String(process.pid + 1_000_000) } },
    );
    const t0 = Date.now();
    const signal = await new Promise((r) => child.once('exit', (_code, s) => r(s)));
    expect(signal).toBe('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
