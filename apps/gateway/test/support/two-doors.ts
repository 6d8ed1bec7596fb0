// Drivers for the two-doors table: a raw gRPC caller (bytes, so every proto method can be called
// without generated stubs), the REST twin of a gRPC method, and readers of the outbox tables.
import {
  Client,
  credentials,
  Metadata,
  type MetadataValue,
  type ServiceError,
} from '@grpc/grpc-js';
import { events, google } from '@trellis/contracts';
import { loadProtoPackageDefinition } from '@trellis/service-kit';
import { Client as Pg } from 'pg';

import { FHIR_ROUTES } from '../../src/app/fhir/fhir.routes';
import { type FhirRouteSpec } from '../../src/app/fhir/fhir.registry';
import {
  FRONT_DOOR_SERVICES,
  type FrontDoorRoute,
} from '../../src/app/front-door/front-door.routes';

export interface GrpcOutcome {
  code: number;
  details: string;
  trailers: Record<string, MetadataValue[]>;
}

type Serialize = (value: object) => Buffer;

/** Serializers of every front-door method (request messages from plain objects). */
function serializers(): Map<string, Serialize> {
  const map = new Map<string, Serialize>();
  const protos = [...new Set(FRONT_DOOR_SERVICES.map((s) => s.proto))];
  const def = loadProtoPackageDefinition(protos);
  for (const svc of Object.values(def)) {
    if (typeof svc !== 'object' || svc === null || 'format' in svc) continue;
    for (const m of Object.values(svc as Record<string, { path?: unknown }>)) {
      const method = m as { path?: unknown; requestSerialize?: Serialize };
      if (typeof method.path === 'string' && method.requestSerialize)
        map.set(method.path, method.requestSerialize);
    }
  }
  return map;
}

/** Calls any method at `address` with raw protobuf bytes (default: the empty message). */
export class RawGrpc {
  private readonly client: Client;
  private readonly encode = serializers();

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  call(
    path: string,
    opts: { token?: string; request?: object; metadata?: Record<string, string> } = {},
  ): Promise<GrpcOutcome> {
    const md = new Metadata();
    if (opts.token) md.set('authorization', `Bearer ${opts.token}`);
    for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v);
    const encode = this.encode.get(path);
    const body = opts.request && encode ? encode(opts.request) : Buffer.alloc(0);
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        md,
        { deadline: Date.now() + 15_000 },
        (err: ServiceError | null) =>
          resolve(
            err
              ? { code: err.code, details: err.details, trailers: err.metadata.getMap() as never }
              : { code: 0, details: '', trailers: {} },
          ),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** google.rpc.RetryInfo delay (seconds) in a RESOURCE_EXHAUSTED's rich details, if any. */
export function retryDelaySeconds(outcome: GrpcOutcome): number | undefined {
  const raw = outcome.trailers['grpc-status-details-bin'];
  if (!Buffer.isBuffer(raw)) return undefined;
  const st = google.rpc.Status.decode(raw);
  const info = st.details.find((d) => d.typeUrl.endsWith('/google.rpc.RetryInfo'));
  if (!info) return undefined;
  // RetryInfo{ 1: Duration{ 1: seconds } } — tags 0x0a, len, 0x08, varint
  const v = info.value;
  return v[0] === 0x0a && v[2] === 0x08 ? (v[3] ?? 0) : undefined;
}

/** The FHIR route doing the same kind of thing to the same resource, when REST has one. */
export function restTwin(route: FrontDoorRoute): FhirRouteSpec | undefined {
  const same = FHIR_ROUTES.filter((f) => f.resource === route.resourceType && f.scope);
  switch (route.action) {
    case 'R':
      return same.find((f) => f.method === 'GET');
    case 'C':
      return same.find((f) => f.method === 'POST' && !f.path.includes(':id'));
    default:
      return same.find(
        (f) => f.method === 'PUT' || (f.method === 'POST' && f.path.includes(':id')),
      );
  }
}

/** One REST call of `twin` (placeholder ids, `{}` body): the HTTP status. */
export async function restStatus(
  fhirBase: string,
  twin: FhirRouteSpec,
  token: string | undefined,
  body: unknown = {},
): Promise<number> {
  const path = twin.path.replace(':vid', '1').replace(':id', '9990000018');
  const res = await fetch(`${fhirBase}/${path}`, {
    method: twin.method,
    headers: {
      accept: 'application/fhir+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(twin.method === 'GET' ? {} : { 'content-type': 'application/fhir+json' }),
    },
    ...(twin.method === 'GET' ? {} : { body: JSON.stringify(body) }),
  });
  await res.body?.cancel();
  return res.status;
}

const CONFORMANCE = 'uk.nhs.trellis.gateway.ConformanceViolation.v1';
const ACCESS = 'uk.nhs.trellis.audit.AccessRecorded.v1';

/** Reads events from a service's outbox table (what its relay publishes). */
export class OutboxReader {
  constructor(private readonly pg: Pg) {}

  async violations(schema: string, systemId: string): Promise<events.v1.ConformanceViolation[]> {
    const rows = await this.rows(schema, CONFORMANCE);
    return rows
      .map((p) => events.v1.ConformanceViolation.decode(p))
      .filter((v) => v.systemId === systemId);
  }

  async accesses(schema: string, systemId: string): Promise<events.v1.AccessRecorded[]> {
    const rows = await this.rows(schema, ACCESS);
    return rows
      .map((p) => events.v1.AccessRecorded.decode(p))
      .filter((a) => a.systemId === systemId);
  }

  private async rows(schema: string, type: string): Promise<Buffer[]> {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema ${schema}`);
    const res = await this.pg.query<{ payload: Buffer }>(
      `SELECT payload FROM "${schema}".outbox_events WHERE ce_type = $1 ORDER BY seq`,
      [type],
    );
    return res.rows.map((r) => r.payload);
  }
}

/** Polls an async condition until it yields a value (or fails after `timeoutMs`). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  timeoutMs: number,
  stepMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The services a gRPC server lists over reflection v1 (what `grpcurl list` shows). */
export async function reflectedServices(address: string): Promise<string[]> {
  const { loadSync } = await import('@grpc/proto-loader');
  const { loadPackageDefinition } = await import('@grpc/grpc-js');
  const { join } = await import('node:path');
  const protoPath = join(
    require.resolve('@grpc/reflection/package.json'),
    '../build/proto/grpc/reflection/v1/reflection.proto',
  );
  type Stream = {
    on(e: 'data', f: (r: { listServicesResponse?: { service: { name: string }[] } }) => void): void;
    on(e: 'error', f: (e: Error) => void): void;
    write(r: object): void;
    end(): void;
  };
  const pkg = loadPackageDefinition(
    loadSync(protoPath, { keepCase: false, defaults: true }),
  ) as unknown as {
    grpc: {
      reflection: {
        v1: {
          ServerReflection: new (
            a: string,
            c: ReturnType<typeof credentials.createInsecure>,
          ) => { serverReflectionInfo(): Stream; close(): void };
        };
      };
    };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const call = client.serverReflectionInfo();
      call.on('data', (r) => {
        resolve((r.listServicesResponse?.service ?? []).map((s) => s.name).sort());
        call.end();
      });
      call.on('error', reject);
      call.write({ listServices: '*' });
    });
  } finally {
    client.close();
  }
}
