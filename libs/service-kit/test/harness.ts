// Starts libs/service-kit/test/fixtures/main.ts as a child process (real signals, real telemetry
// instrumentation — Jest's module registry would bypass OpenTelemetry's require hooks).
import * as grpcJs from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { freePort } from '@trellis/testing';

import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadProtoPackageDefinition } from '../src';
import { EchoRequest, EchoResponse } from './fixtures/generated/trellis/platformtest/v1/echo';

export const ROOT = resolve(__dirname, '../../..');
const FIXTURE_PROTO_ROOT = join(__dirname, 'fixtures/proto');

export interface Fixture {
  child: ChildProcess;
  grpcAddress: string;
  httpPort: number;
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export async function startFixture(env: Record<string, string> = {}): Promise<Fixture> {
  const grpcPort = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, 'fixtures/main.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let buffer = '';
  let onReady: ((v: { httpPort: number }) => void) | undefined;
  const ready = new Promise<{ httpPort: number }>((r) => (onReady = r));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        lines.push(parsed);
        if (parsed['fixture'] === 'ready') onReady?.({ httpPort: parsed['httpPort'] as number });
      } catch {
        lines.push({ raw: line });
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const early = exited.then(({ code }) => {
    throw new Error(`fixture exited early (${code}): ${stderr}`);
  });
  const { httpPort } = await Promise.race([ready, early]);
  early.catch(() => undefined);
  return {
    child,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    httpPort,
    lines,
    exited,
    stderr: () => stderr,
  };
}

type Ctor = new (
  address: string,
  creds: grpcJs.ChannelCredentials,
  options?: object,
) => grpcJs.Client;

function clientCtor(def: grpcJs.GrpcObject, path: string): Ctor {
  let node: unknown = def;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node as Ctor;
}

/** Plain grpc-js clients (same loader options as the services). */
export function clients(address: string) {
  const echoDef = grpcJs.loadPackageDefinition(
    loadProtoPackageDefinition(['trellis/platformtest/v1/echo.proto'], FIXTURE_PROTO_ROOT),
  );
  const healthDef = grpcJs.loadPackageDefinition(
    loadProtoPackageDefinition(['grpc/health/v1/health.proto']),
  );
  const reflectionDef = grpcJs.loadPackageDefinition(
    loadSync(
      join(ROOT, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'),
      {
        keepCase: false,
        longs: Number,
        defaults: true,
      },
    ),
  );
  const creds = grpcJs.credentials.createInsecure();
  // Echo with ts-proto's own (canonical proto3) encoding: zero values are not written on the wire,
  // as with any other language's client — protobufjs would send explicitly-set zeros.
  const EchoCanonical = grpcJs.makeGenericClientConstructor(
    {
      Echo: {
        path: '/trellis.platformtest.v1.EchoService/Echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: EchoRequest) => Buffer.from(EchoRequest.encode(m).finish()),
        requestDeserialize: (b: Buffer) => EchoRequest.decode(b),
        responseSerialize: (m: EchoResponse) => Buffer.from(EchoResponse.encode(m).finish()),
        responseDeserialize: (b: Buffer) => EchoResponse.decode(b),
      },
    },
    'EchoService',
  );
  return {
    echoCanonical: new EchoCanonical(address, creds),
    echo: new (clientCtor(echoDef, 'trellis.platformtest.v1.EchoService'))(address, creds),
    health: new (clientCtor(healthDef, 'grpc.health.v1.Health'))(address, creds),
    reflection: new (clientCtor(reflectionDef, 'grpc.reflection.v1.ServerReflection'))(
      address,
      creds,
    ),
  };
}

export function unary<Res>(
  client: grpcJs.Client,
  method: string,
  request: object,
  metadata: grpcJs.Metadata = new grpcJs.Metadata(),
  deadlineMs = 10_000,
): Promise<Res> {
  return new Promise((resolvePromise, reject) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!.bind(
      client,
    );
    fn(
      request,
      metadata,
      { deadline: Date.now() + deadlineMs },
      (err: grpcJs.ServiceError | null, res: Res) => (err ? reject(err) : resolvePromise(res)),
    );
  });
}
