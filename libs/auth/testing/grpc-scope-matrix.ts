import { credentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';

import { SERVICE_TOKEN_HEADER, type ServiceIdentity } from '../src/service-identity';
import { scopeMatrix, testServiceIdentity, type ScopeMatrixRow } from './authority';
import { type ScopeTable } from '../src/scope-table';

export interface GrpcMatrixOptions {
  table: ScopeTable;
  /** Proto file(s) declaring the services (absolute, or relative to includeDirs). */
  protoFiles: string | string[];
  includeDirs: string[];
  /** host:port of the running service. */
  address: string;
  /** Issues a real platform token carrying exactly these scopes (gateway or createTestAuthority). */
  issueToken: (scopes: readonly string[]) => Promise<string>;
  /** Request body per method (default `{}`): the guard runs before validation, so any body works. */
  request?: (key: string) => Record<string, unknown>;
  /** Per-call deadline (default 5 s). */
  deadlineMs?: number;
  /**
   * Service identity sent with every call (default: the local test ring as "gateway", which a
   * platform requires); `false` sends none (e.g. against the gateway's own door).
   */
  serviceIdentity?: ServiceIdentity | false;
}

export interface GrpcMatrixResult {
  key: string;
  row: ScopeMatrixRow;
  /** Status with no token: must be UNAUTHENTICATED (16). */
  withoutToken: number;
  /** Status with a token lacking the method's scope: must be PERMISSION_DENIED (7). */
  lackingScope: number;
  /** Status with the method's scope: must be neither 7 nor 16 (the handler then decides). */
  withScope: number;
}

/**
 * Drives the full scope matrix of a table against a running gRPC service: for every protected
 * method, one call without a token, one with a token lacking its scope and one with it. Generic
 * (no generated stubs): requests are serialised with the proto-loader definitions.
 */
export async function runGrpcScopeMatrix(options: GrpcMatrixOptions): Promise<GrpcMatrixResult[]> {
  const defs = loadSync(options.protoFiles, {
    includeDirs: options.includeDirs,
    keepCase: false,
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  const methods = new Map<string, MethodDefinition<object, object>>();
  for (const def of Object.values(defs)) {
    if (typeof def !== 'object' || def === null || 'format' in def || 'type' in def) continue;
    for (const m of Object.values(def as Record<string, MethodDefinition<object, object>>)) {
      if (typeof m?.path === 'string') methods.set(m.path, m);
    }
  }
  const client = new Client(options.address, credentials.createInsecure());
  const service =
    options.serviceIdentity === false
      ? undefined
      : (options.serviceIdentity ?? testServiceIdentity());
  const call = (key: string, token: string | undefined): Promise<number> => {
    const method = methods.get(key);
    if (!method)
      return Promise.reject(new Error(`${key} is in the table but not in the proto files`));
    const md = new Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    if (service) md.set(SERVICE_TOKEN_HEADER, service.token());
    const body = options.request?.(key) ?? {};
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        key,
        method.requestSerialize as (v: object) => Buffer,
        method.responseDeserialize as (b: Buffer) => object,
        body,
        md,
        { deadline: Date.now() + (options.deadlineMs ?? 5_000) },
        (err: ServiceError | null) => resolve(err ? err.code : 0),
      );
    });
  };
  const results: GrpcMatrixResult[] = [];
  try {
    for (const row of scopeMatrix(options.table)) {
      if (!row.key.startsWith('/')) continue; // HTTP rows are for an HTTP driver
      results.push({
        key: row.key,
        row,
        withoutToken: await call(row.key, undefined),
        lackingScope: await call(row.key, await options.issueToken(row.lackingScopes)),
        withScope: await call(row.key, await options.issueToken(row.sufficientScopes)),
      });
    }
  } finally {
    client.close();
  }
  return results;
}
