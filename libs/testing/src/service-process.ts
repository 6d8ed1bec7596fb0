// Runs a service as a real child process for tests: `node -r @swc-node/register apps/<name>/src/main.ts`
// (as tools/trellis.sh `services` does), readiness through grpc.health.v1 or HTTP, a stop that
// really stops (SIGTERM, wait, SIGKILL after a timeout), start-up crashes reported with the
// child's output, and no child outliving the test process (exit hook + a parent watchdog preload).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

import { Client, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';

import { freePort } from './free-port';
import { findRepoRoot, loadInfraEnv } from './infra-env';

/** How a service is judged ready: grpc.health.v1 Check answers SERVING, or an HTTP URL answers 200. */
export type ReadinessProbe = { grpc: string; service?: string } | { http: string } | { none: true };

export interface SpawnServiceOptions {
  /** Service name, used in messages (and for the default entry point). */
  name: string;
  /** Script to run (default `apps/<name>/src/main.ts`); relative paths resolve from the repo root. */
  entry?: string;
  /** Node arguments before the entry (default `--enable-source-maps -r @swc-node/register`). */
  nodeArgs?: string[];
  /** The child's whole environment (e.g. `{ ...loadInfraEnv(), SERVICE_NAME, GRPC_PORT, ... }`). */
  env: Record<string, string | undefined>;
  ready: ReadinessProbe;
  /** Give up waiting for readiness after this long (default 60 s). */
  readyTimeoutMs?: number;
  /** SIGKILL when SIGTERM has not ended the process within this long (default 10 s). */
  stopTimeoutMs?: number;
  /** Aborting it while the service starts kills the process (e.g. a sibling failed to start). */
  signal?: AbortSignal;
  /** Lines of stdout/stderr kept for error messages (default 40 each). */
  tailLines?: number;
  /**
   * Called once when the process exits without stop() having been asked for (a crash after
   * start-up). Default: the error is written to the test process's stderr; stop() rejects with it.
   */
  onUnexpectedExit?: (error: ServiceExitedError) => void;
}

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** `127.0.0.1:<port>` when the probe is gRPC (the ServiceHandle field of the same name). */
  readonly grpcUrl: string;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ServiceExit>;
  /** The crash, when the process exited without stop() (undefined otherwise). */
  readonly crash: ServiceExitedError | undefined;
  /** The last lines the process wrote. */
  output(): { stdout: string; stderr: string };
  /**
   * SIGTERM, waits for the exit, SIGKILL after `stopTimeoutMs`. Idempotent. Rejects with the
   * crash when the process had already died on its own (so a crash fails the suite's afterAll).
   */
  stop(): Promise<ServiceExit>;
}

/** A service process that exited unexpectedly or never became ready; the message has its output. */
export class ServiceExitedError extends Error {
  constructor(
    readonly service: string,
    readonly reason: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      [
        `${service} ${reason}`,
        stderr ? `--- ${service} stderr (tail) ---\n${stderr}` : `--- ${service} stderr: empty ---`,
        ...(stdout ? [`--- ${service} stdout (tail) ---\n${stdout}`] : []),
      ].join('\n'),
    );
    this.name = 'ServiceExitedError';
  }
}

// Settings that belong to one process (its ports, schema, peers, token issuer, telemetry) never
// leak from the test process into a child: the caller sets them explicitly.
const PER_PROCESS =
  /^(SERVICE_NAME|GRPC_(HOST|PORT)|HTTP_(HOST|PORT)|DATABASE_SCHEMA|PROMETHEUS_PORT|OTEL_.*|AUTH_.*|GATEWAY_URL|[A-Z]+_GRPC_ADDR|[A-Z]+_(GRPC|HTTP)_PORT)$/;

/**
 * The environment of a spawned service: `.trellis/infra.env` and the test process's environment
 * (loadInfraEnv), without per-process settings, plus `settings`.
 */
export function serviceEnv(settings: Record<string, string>): Record<string, string | undefined> {
  const inherited = Object.entries(loadInfraEnv()).filter(([key]) => !PER_PROCESS.test(key));
  return { ...Object.fromEntries(inherited), ...settings };
}

/** A service to bootstrap inside the test process: its environment and the free ports it gets. */
export interface LocalServiceEnv {
  env: Record<string, string | undefined>;
  grpcPort: number;
  httpPort: number;
  /** 127.0.0.1:<grpcPort>, for clients. */
  grpcAddress: string;
}

/**
 * The environment of `service` bootstrapped in this process on free 127.0.0.1 ports, on the
 * test schema `schema`, logging at warn: this process's environment, then `settings` on top.
 */
export async function localServiceEnv(
  service: string,
  schema: string,
  settings: Record<string, string> = {},
): Promise<LocalServiceEnv> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  return {
    grpcPort,
    httpPort,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    env: {
      ...process.env,
      SERVICE_NAME: service,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      DATABASE_SCHEMA: schema,
      LOG_LEVEL: 'warn',
      ...settings,
    },
  };
}

/** Token settings for a service whose callers never present a token (e.g. an event consumer). */
export const UNUSED_AUTH_SETTINGS: Readonly<Record<string, string>> = {
  AUTH_ISSUER: 'http://127.0.0.1:9/unused',
  AUTH_JWKS_URL: 'http://127.0.0.1:9/unused/jwks.json',
};

export interface SpawnLocalServiceOptions extends Omit<SpawnServiceOptions, 'env' | 'ready'> {
  /** The service's PostgreSQL schema (DATABASE_SCHEMA). */
  schema: string;
  /** Service settings on top of the local defaults (they win). */
  settings?: Record<string, string>;
}

/**
 * `spawnService` for a service as `npm start` runs it, on `schema`: gRPC on a free 127.0.0.1 port
 * (ready when its health check serves), HTTP on any port, logging at warn, plus `settings`.
 */
export async function spawnLocalService(
  options: SpawnLocalServiceOptions,
): Promise<ServiceProcess> {
  const { schema, settings, ...spawn } = options;
  const port = await freePort();
  return spawnService({
    ...spawn,
    env: serviceEnv({
      SERVICE_NAME: options.name,
      DATABASE_SCHEMA: schema,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      ...settings,
    }),
    ready: { grpc: `127.0.0.1:${port}` },
  });
}

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export enum GrpcServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  SERVICE_UNKNOWN = 3,
}

// grpc.health.v1 has two one-field messages: encoded by hand so this lib needs no generated code.
function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  if (name.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function decodeHealthResponse(buf: Buffer): GrpcServingStatus {
  // field 1 (status), wire type 0: tag 0x08 then a varint; absent = 0 (UNKNOWN)
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i++];
    if (tag === 0x08) {
      let value = 0;
      let shift = 0;
      for (;;) {
        const b = buf[i++] ?? 0;
        value |= (b & 0x7f) << shift;
        if ((b & 0x80) === 0) break;
        shift += 7;
      }
      return value as GrpcServingStatus;
    }
    return GrpcServingStatus.UNKNOWN;
  }
  return GrpcServingStatus.UNKNOWN;
}

/**
 * One grpc.health.v1.Health/Check call. Resolves the serving status, or undefined when nothing
 * answers (refused, deadline). A fresh channel each time (no reconnect back-off carried over).
 */
export async function grpcHealthCheck(
  address: string,
  service = '',
  timeoutMs = 1000,
): Promise<GrpcServingStatus | undefined> {
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  try {
    return await new Promise<GrpcServingStatus | undefined>((done) => {
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        encodeHealthRequest,
        decodeHealthResponse,
        service,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err?.code === GrpcStatus.NOT_FOUND) done(GrpcServingStatus.SERVICE_UNKNOWN);
          else done(err ? undefined : res);
        },
      );
    });
  } finally {
    client.close();
  }
}

async function probeOnce(probe: ReadinessProbe): Promise<boolean> {
  if ('none' in probe) return true;
  if ('grpc' in probe)
    return (await grpcHealthCheck(probe.grpc, probe.service ?? '')) === GrpcServingStatus.SERVING;
  try {
    const res = await fetch(probe.http, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Keeps the last `max` complete lines of a stream (plus the unterminated rest). */
class Tail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  toString(): string {
    return [...this.lines, this.partial].join('\n').trim();
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a suite never called stop(): the test process is exiting, so only a
  // synchronous SIGKILL can still be sent (the watchdog preload covers a killed test process).
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** How many spawned service processes are still running (for leak checks in tests). */
export function runningServiceCount(): number {
  return live.size;
}

const WATCHDOG = join(__dirname, 'parent-watchdog.cjs');

/**
 * Starts a service as a child process and resolves once it is ready. Rejects (after killing the
 * child) with a ServiceExitedError carrying its output when it exits first or is not ready in time.
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceProcess> {
  const root = findRepoRoot();
  const entryPath = options.entry ?? join('apps', options.name, 'src', 'main.ts');
  const entry = isAbsolute(entryPath) ? entryPath : resolve(root, entryPath);
  const nodeArgs = options.nodeArgs ?? ['--enable-source-maps', '-r', '@swc-node/register'];
  const tailLines = options.tailLines ?? 40;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const env: NodeJS.ProcessEnv = {
    SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
    // V8 code cache shared by every spawned service: less start-up CPU from the second start on
    NODE_COMPILE_CACHE: join(tmpdir(), 'trellis-test-node-compile-cache'),
    ...options.env,
    TRELLIS_TEST_PARENT_PID: String(process.pid),
  };

  installExitHook();
  const child = spawn(process.execPath, ['-r', WATCHDOG, ...nodeArgs, entry], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  // The child does not keep the test process alive: a suite that never stops it still lets Jest
  // exit, and the exit hook kills it then.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as Partial<Socket> | null)?.unref?.();
  const stdout = new Tail(tailLines);
  const stderr = new Tail(tailLines);
  child.stdout?.on('data', (d: Buffer) => stdout.push(d));
  child.stderr?.on('data', (d: Buffer) => stderr.push(d));

  let stopping = false;
  let exit: ServiceExit | undefined;
  let crash: ServiceExitedError | undefined;
  const failure = (reason: string) =>
    new ServiceExitedError(options.name, reason, stdout.toString(), stderr.toString());
  const describe = (e: ServiceExit) =>
    e.signal ? `was killed by ${e.signal}` : `exited with code ${String(e.code)}`;

  let ready = false;
  const exited = new Promise<ServiceExit>((done) => {
    // 'close': the process has exited and its output has been read to the end.
    child.once('close', (code, signal) => {
      live.delete(child);
      exit = { code, signal };
      if (!stopping && ready) {
        crash = failure(`${describe(exit)} unexpectedly (pid ${String(child.pid)})`);
        if (options.onUnexpectedExit) options.onUnexpectedExit(crash);
        else process.stderr.write(`\n${crash.message}\n`);
      }
      done(exit);
    });
    child.once('error', (err) => {
      // spawn itself failed (no 'close' follows when the process never started)
      if (child.pid === undefined) {
        live.delete(child);
        exit = { code: null, signal: null };
        stderr.push(Buffer.from(String(err)));
        done(exit);
      }
    });
  });

  const killAndWait = async (): Promise<ServiceExit> => {
    if (exit) return exit;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return exited;
    child.kill('SIGKILL');
    const killed = await Promise.race([exited, sleep(5000).then(() => undefined)]);
    if (!killed) throw failure(`did not exit within 5 s of SIGKILL (pid ${String(child.pid)})`);
    return killed;
  };

  // Wait for readiness, the process's exit, or the deadline, whichever comes first.
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!ready) {
    if (exit) throw failure(`${describe(exit)} during start-up`);
    if (options.signal?.aborted) {
      stopping = true;
      await killAndWait();
      throw failure('start-up was abandoned (another service failed to start)');
    }
    if (Date.now() > deadline) {
      stopping = true;
      await killAndWait();
      throw failure(`was not ready within ${String(options.readyTimeoutMs ?? 60_000)} ms`);
    }
    const ok = await Promise.race([probeOnce(options.ready), exited.then(() => false)]);
    if (ok && !exit) ready = true;
    else if (!exit) await Promise.race([sleep(100), exited]);
  }

  const pid = child.pid ?? -1;
  const grpcUrl = 'grpc' in options.ready ? options.ready.grpc : '';
  return {
    name: options.name,
    pid,
    grpcUrl,
    get running() {
      return exit === undefined;
    },
    exited,
    get crash() {
      return crash;
    },
    output: () => ({ stdout: stdout.toString(), stderr: stderr.toString() }),
    async stop() {
      if (crash) throw crash;
      stopping = true;
      return killAndWait();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
