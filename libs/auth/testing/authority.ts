import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';

import { loadSync, type Options as ProtoLoaderOptions } from '@grpc/proto-loader';
import { PROTO_ROOT, protoPath } from '@trellis/contracts';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';

import { GatewayVouchSigner, type VouchBasis } from '../src/gateway-vouch';
import { findRule, type ProtectedRule, type ScopeTable } from '../src/scope-table';
import { scopeSatisfies } from '../src/scopes';
import {
  DEFAULT_SERVICE_KEY_FILE,
  loadServiceIdentity,
  SERVICE_TOKEN_HEADER,
  type ServiceIdentity,
} from '../src/service-identity';
import { ACCESS_TOKEN_TYPE, DEFAULT_ACCESS_TOKEN_AUDIENCE } from '../src/token-claims';

/** Every full gRPC method path (`/pkg.Service/Method`) of the services in the given proto files. */
export function listGrpcMethods(
  protoFiles: string | string[],
  options: { includeDirs: string[]; packagePrefix?: string },
): string[] {
  const loaderOptions: ProtoLoaderOptions = { includeDirs: options.includeDirs, keepCase: true };
  const defs = loadSync(protoFiles, loaderOptions);
  const paths: string[] = [];
  for (const [name, def] of Object.entries(defs)) {
    if (options.packagePrefix && !name.startsWith(options.packagePrefix)) continue;
    if (typeof def !== 'object' || def === null || 'format' in def || 'type' in def) continue;
    for (const method of Object.values(def as Record<string, { path?: unknown }>)) {
      if (typeof method?.path === 'string') paths.push(method.path);
    }
  }
  return paths.sort();
}

/**
 * Throws unless every method is declared in the table (fail-closed coverage). Use in each
 * service's unit tests: `assertScopeTableCovers(table, listGrpcMethods(...))`.
 */
export function assertScopeTableCovers(table: ScopeTable, methods: readonly string[]): void {
  const missing = methods.filter((m) => !findRule(table, m));
  if (missing.length > 0) {
    throw new Error(
      `Scope table misses ${missing.length} method(s) (they would be denied):\n  ${missing.join('\n  ')}`,
    );
  }
  if (methods.length === 0)
    throw new Error('No gRPC methods found: wrong proto path or package prefix?');
}

/**
 * Throws unless the table declares every method of the services in a proto file under `proto/`
 * (its own package only) and the file has exactly `expectedMethods` of them, so that a new RPC
 * makes the service's spec name it: `assertScopeTableCoversProto(T, 'trellis/x/v1/x.proto', 5)`.
 */
export function assertScopeTableCoversProto(
  table: ScopeTable,
  protoFile: string,
  expectedMethods: number,
): string[] {
  const protoPackage = `${dirname(protoFile).split('/').join('.')}.`;
  const methods = listGrpcMethods(protoPath(protoFile), {
    includeDirs: [PROTO_ROOT],
    packagePrefix: protoPackage,
  });
  if (methods.length !== expectedMethods)
    throw new Error(
      `${protoFile} has ${methods.length} methods, the spec expects ${expectedMethods}:\n  ${methods.join('\n  ')}`,
    );
  assertScopeTableCovers(table, methods);
  return methods;
}

/** The methods of a scope table whose calls are written to the access audit as patient data. */
export function patientDataMethods(table: ScopeTable): string[] {
  return Object.entries(table)
    .filter(([, rule]) => 'patientData' in rule && rule.patientData === true)
    .map(([key]) => key);
}

export interface ScopeMatrixRow {
  key: string;
  rule: ProtectedRule;
  /** A token with these scopes must be refused (PERMISSION_DENIED / 403) on `key`. */
  lackingScopes: string[];
  /** A token with these scopes passes the scope check on `key`. */
  sufficientScopes: string[];
}

/**
 * The scope matrix of a table: for each protected entry, the largest set of the table's other
 * scopes that still does NOT satisfy it (so the denial is due to that scope alone).
 */
export function scopeMatrix(table: ScopeTable): ScopeMatrixRow[] {
  const all = new Set<string>();
  for (const rule of Object.values(table)) if (rule.public !== true) all.add(rule.scope);
  const rows: ScopeMatrixRow[] = [];
  for (const [key, rule] of Object.entries(table)) {
    if (rule.public === true) continue;
    const lacking = [...all].filter((s) => !scopeSatisfies([s], rule.scope));
    // keep only scopes that, together, still do not satisfy (letters may combine across scopes)
    const combined: string[] = [];
    for (const s of lacking) if (!scopeSatisfies([...combined, s], rule.scope)) combined.push(s);
    rows.push({
      key,
      rule,
      lackingScopes: combined.length > 0 ? combined : ['system/Basic.r'],
      sufficientScopes: [rule.scope],
    });
  }
  return rows;
}

export interface TestAuthority {
  issuer: string;
  audience: string;
  keySet: JWTVerifyGetKey;
  jwks: { keys: JWK[] };
  /** Signs an access token; override any claim or header field to build bad tokens. */
  issue(input: TestTokenInput): Promise<string>;
  /**
   * A service token of the local ring (as the gateway would forward it), for test clients that
   * call a platform directly: `md.set(SERVICE_TOKEN_HEADER, authority.serviceToken())`.
   */
  serviceToken(service?: string): string;
  /**
   * A vouch for a call to `target`, as the gateway signs it (with its access-token key); `at`
   * (epoch ms) signs it as of another time (an expired vouch).
   */
  vouch(
    target: string,
    basis: Omit<VouchBasis, 'checkedAt'> & { checkedAt?: number },
    at?: number,
  ): string;
}

const testIdentities = new Map<string, ServiceIdentity>();

/**
 * The identity a test client uses to stand in for the gateway (or a peer) when it calls a platform
 * directly: the repository's local ring (`.trellis/secrets/service-token-keys.json`, created when
 * absent, as the services themselves do locally).
 */
export function testServiceIdentity(service = 'gateway', keyFile?: string): ServiceIdentity {
  const file = keyFile ?? resolve(__dirname, '../../..', DEFAULT_SERVICE_KEY_FILE);
  const key = `${service}\u0000${file}`;
  let identity = testIdentities.get(key);
  if (!identity) {
    identity = loadServiceIdentity({ service, keyFile: file, generateIfAbsent: true });
    testIdentities.set(key, identity);
  }
  return identity;
}

/** Adds the test service identity to gRPC metadata (returns it). */
export function withTestServiceIdentity<M extends { set(k: string, v: string): void }>(
  metadata: M,
  service = 'gateway',
): M {
  metadata.set(SERVICE_TOKEN_HEADER, testServiceIdentity(service).token());
  return metadata;
}

export interface TestTokenInput {
  systemId?: string;
  scopes: readonly string[];
  odsCode?: string;
  region?: string;
  lifetimeSeconds?: number;
  issuedAt?: number;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

/** An in-memory token issuer for unit and integration tests of services (ES384, kid set). */
export async function createTestAuthority(
  issuer = 'https://gateway.test.trellis',
  audience = DEFAULT_ACCESS_TOKEN_AUDIENCE,
): Promise<TestAuthority> {
  const { privateKey, publicKey } = await generateKeyPair('ES384');
  const kid = `test-${randomUUID()}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' };
  const jwks = { keys: [jwk] };
  const vouchesAt = (at?: number) =>
    new GatewayVouchSigner({
      issuer,
      key: { kid, alg: 'ES384', privateKey },
      reuseMs: 0,
      ...(at !== undefined ? { now: () => at } : {}),
    });
  return {
    issuer,
    audience,
    jwks,
    keySet: createLocalJWKSet(jwks),
    serviceToken: (service = 'gateway') => testServiceIdentity(service).token(),
    vouch: (target, basis, at) =>
      vouchesAt(at).mint(target, { checkedAt: at ?? Date.now(), ...basis }),
    async issue(input: TestTokenInput): Promise<string> {
      const iat = input.issuedAt ?? Math.floor(Date.now() / 1000);
      const systemId = input.systemId ?? 'test-system';
      const payload: Record<string, unknown> = {
        iss: issuer,
        aud: audience,
        sub: systemId,
        jti: randomUUID(),
        iat,
        exp: iat + (input.lifetimeSeconds ?? 300),
        client_id: systemId,
        scope: input.scopes.join(' '),
        ods_code: input.odsCode ?? 'A81001',
        region: input.region ?? 'north-east',
        ...input.claims,
      };
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES384', kid, typ: ACCESS_TOKEN_TYPE, ...input.header })
        .sign(privateKey);
    },
  };
}
