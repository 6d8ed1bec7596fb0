import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Caller } from '@trellis/auth';
import {
  createEventBus,
  kafkaConfigFromEnv,
  type ConsumedMessage,
  type EventBus,
} from '@trellis/events';
import { bootstrapService, type ServiceHandle } from '@trellis/service-kit';
import {
  createTestSchema,
  freePort,
  uniqueTopic,
  type TestSchema,
  pollUntilTruthy,
} from '@trellis/testing';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';

import {
  GATEWAY_CONFIG,
  gatewayEnvSchema,
  type GatewayConfig,
} from '../../src/app/config/gateway.config';
import { GatewayPrismaService } from '../../src/app/database/gateway-prisma.service';
import { roleOfVersion } from '../../src/app/certification/certificates.repository';
import { isCertifiableRole } from '../../src/app/certification/exchange';
import { isGovernanceOrganisation } from '../../src/app/regions/lifecycle';
import { LifecycleService } from '../../src/app/regions/lifecycle.service';
import { type SigningKeyRing } from '../../src/app/tokens/signing-keys';
import { SIGNING_KEY_RING } from '../../src/app/tokens/tokens.service';
import { bringLive, type OnboardingDeps } from '../../src/demo-lifecycle';
import { type PrismaClient } from '../../src/generated/prisma/client';
import { GatewayModule } from '../../src/app/gateway.module';
import { LEGACY_PRODUCT_VERSION_ID } from '../../src/app/products/products.repository';
import { SystemsService } from '../../src/app/systems/systems.service';

export function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (.trellis/infra.env)`);
  return v;
}

/** The test's event bus on the local broker (.trellis/infra.env). */
export function kafka(): EventBus {
  return createEventBus(kafkaConfigFromEnv(process.env, 'gateway-int-test'));
}

export async function createTopics(
  topics: Array<{ name: string; compact?: boolean }>,
): Promise<void> {
  const admin = kafka().admin();
  try {
    await admin.createTopics(
      topics.map((t) => ({
        name: t.name,
        partitions: 3,
        retentionMs: 86_400_000,
        cleanupPolicy: t.compact ? ('compact' as const) : ('delete' as const),
        description: 'gateway integration test',
      })),
    );
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(names: string[]): Promise<void> {
  const admin = kafka().admin();
  await admin.deleteTopics(names).catch(() => undefined);
  await admin.disconnect();
}

export { freePort };

export interface GatewayUnderTest {
  handle: ServiceHandle;
  baseUrl: string;
  tokenUrl: string;
  grpcAddress: string;
  schema: TestSchema;
  systemTopic: string;
  auditTopic: string;
  keyFile: string;
  stop(): Promise<void>;
}

/** Boots the real gateway (HTTP + gRPC) on a fresh schema and fresh topics. */
export async function startGateway(
  extraEnv: Record<string, string> = {},
  options: { httpPort?: number } = {},
): Promise<GatewayUnderTest> {
  const systemTopic = uniqueTopic('trellis.gateway.system');
  const auditTopic = uniqueTopic('trellis.audit.access');
  const [schema] = await Promise.all([
    createTestSchema('gateway'),
    createTopics([{ name: systemTopic, compact: true }, { name: auditTopic }]),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'gw-keys-'));
  const keyFile = join(dir, 'signing-keys.json');
  const httpPort = options.httpPort ?? (await freePort());
  const grpcPort = await freePort();
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const handle = await bootstrapService({
    name: 'gateway',
    module: GatewayModule,
    config: gatewayEnvSchema,
    handleSignals: false,
    bodyParser: false, // as main.ts
    grpc: {
      packages: ['trellis.gateway.v1'],
      protoFiles: ['trellis/gateway/v1/gateway.proto', 'trellis/gateway/v1/certification.proto'],
    },
    env: {
      SERVICE_NAME: 'gateway',
      LOG_LEVEL: 'error',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      DATABASE_URL: env('DATABASE_URL'),
      DATABASE_SCHEMA: schema.schema,
      KAFKA_BROKERS: env('KAFKA_BROKERS'),
      KAFKA_SASL_MECHANISM: env('KAFKA_SASL_MECHANISM'),
      KAFKA_SASL_USERNAME: env('KAFKA_SASL_USERNAME'),
      KAFKA_SASL_PASSWORD: env('KAFKA_SASL_PASSWORD'),
      GATEWAY_PUBLIC_URL: baseUrl,
      GATEWAY_SIGNING_KEY_FILE: keyFile,
      GATEWAY_SYSTEM_TOPIC: systemTopic,
      AUDIT_ACCESS_TOPIC: auditTopic,
      ...extraEnv,
    },
  });
  return {
    handle,
    baseUrl,
    tokenUrl: `${baseUrl}/oauth2/token`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    schema,
    systemTopic,
    auditTopic,
    keyFile,
    async stop() {
      await handle.shutdown('test done');
      await schema.drop();
      await deleteTopics([systemTopic, auditTopic]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bootstrap operator used to register the first systems (as the seed does). */
export const BOOTSTRAP_CALLER: Caller = {
  systemId: 'bootstrap',
  odsCode: 'X26',
  region: 'london',
  scopes: ['trellis/admin'],
  tokenId: 'bootstrap',
  expiresAt: 0,
};

export interface TestClient {
  id: string;
  alg: 'ES384' | 'RS384';
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

export async function newClientKey(
  alg: 'ES384' | 'RS384' = 'ES384',
): Promise<Omit<TestClient, 'id'>> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = `k-${randomUUID().slice(0, 8)}`;
  return {
    alg,
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
}

/** Registers a system directly through the service (bootstrap path) and returns its client. */
export async function registerClient(
  gw: GatewayUnderTest,
  input: {
    scopes: string[];
    odsCode?: string;
    region?: string;
    alg?: 'ES384' | 'RS384';
    name?: string;
    productVersionId?: string;
    /**
     * Lifecycle state. `live`: registered in the sandbox, then brought live through the lifecycle
     * (`bringLive`: a certificate for its product's role, or the national operator's go-live for
     * a role without a conformance scheme) — what a system calling the platforms outside a
     * conformance session needs. Default: `live` for a local system whose product role has no
     * scheme (it could not call the platforms otherwise), else `sandbox` as RegisterSystem.
     */
    lifecycle?: 'registered' | 'sandbox' | 'live';
  },
): Promise<TestClient> {
  const key = await newClientKey(input.alg ?? 'ES384');
  const id = `t-${randomUUID().slice(0, 12)}`;
  const odsCode = input.odsCode ?? 'Y12345';
  const productVersionId = input.productVersionId ?? LEGACY_PRODUCT_VERSION_ID;
  const lifecycle =
    input.lifecycle ??
    (isGovernanceOrganisation(odsCode) ||
    isCertifiableRole(await roleOfVersion(onboardingOf(gw).prisma, productVersionId))
      ? 'sandbox'
      : 'live');
  await gw.handle.app.get(SystemsService).register(
    {
      clientId: id,
      name: input.name ?? `Test system ${id}`,
      supplier: 'Trellis tests',
      odsCode,
      region: input.region ?? 'north-east',
      keys: { jwksJson: JSON.stringify({ keys: [key.publicJwk] }) },
      allowedScopes: input.scopes,
      productVersionId,
      ...(input.lifecycle && input.lifecycle !== 'live' ? { lifecycle: input.lifecycle } : {}),
    },
    BOOTSTRAP_CALLER,
  );
  if (lifecycle === 'live') await bringLive(onboardingOf(gw), id, BOOTSTRAP_CALLER);
  return { id, ...key };
}

/** What `bringLive` / `ensureCertificate` need, from a running gateway. */
export function onboardingOf(gw: GatewayUnderTest): OnboardingDeps {
  const app = gw.handle.app;
  return {
    prisma: app.get<PrismaClient>(GatewayPrismaService),
    lifecycle: app.get(LifecycleService),
    key: app.get<SigningKeyRing>(SIGNING_KEY_RING).current,
    publicUrl: app.get<GatewayConfig>(GATEWAY_CONFIG).publicUrl,
  };
}

export interface AssertionOverrides {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  expInSeconds?: number;
  jti?: string;
  kid?: string;
  /** iat relative to now (default 0). */
  iatInSeconds?: number;
  omit?: Array<'jti' | 'exp' | 'kid'>;
}

export async function assertion(
  client: TestClient,
  tokenUrl: string,
  o: AssertionOverrides = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: o.iss ?? client.id,
    sub: o.sub ?? client.id,
    aud: o.aud ?? tokenUrl,
    jti: o.jti ?? randomUUID(),
    iat: now + (o.iatInSeconds ?? 0),
    exp: now + (o.expInSeconds ?? 120),
  };
  for (const k of o.omit ?? []) if (k !== 'kid') delete payload[k];
  const kid = o.omit?.includes('kid') ? {} : { kid: o.kid ?? client.kid };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: client.alg, ...kid, typ: 'JWT' })
    .sign(client.privateKey);
}

export interface TokenResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function requestToken(
  tokenUrl: string,
  form: Record<string, string>,
): Promise<TokenResult> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    headers: res.headers,
  };
}

export async function getToken(
  gw: GatewayUnderTest,
  client: TestClient,
  scope: string,
): Promise<string> {
  const r = await requestToken(gw.tokenUrl, {
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(client, gw.tokenUrl),
    scope,
  });
  if (r.status !== 200)
    throw new Error(`token request failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body['access_token'] as string;
}

export { adminClient, grpcCode } from './grpc-client';

/** A collected record: key, value and header values as Buffers. */
export interface CollectedMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  offset: string;
  partition: number;
}

const asBuffer = (m: ConsumedMessage): CollectedMessage => {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(m.headers)) {
    const one = Array.isArray(v) ? v.at(-1) : v;
    if (one !== undefined) headers[k] = Buffer.from(one as string | Uint8Array);
  }
  return {
    key: m.key === null ? null : Buffer.from(m.key),
    value: m.value === null ? null : Buffer.from(m.value),
    headers,
    offset: m.offset,
    partition: m.partition,
  };
};

/** Collects every message of a topic from the beginning. */
export async function collect(
  topic: string,
): Promise<{ messages: CollectedMessage[]; stop(): Promise<void> }> {
  const consumer = kafka().consumer({ groupId: `gw-test-${randomUUID()}`, fromBeginning: true });
  const messages: CollectedMessage[] = [];
  await consumer.run({
    topics: [topic],
    eachBatch: async (batch) => {
      messages.push(...batch.messages.map(asBuffer));
    },
  });
  return { messages, stop: () => consumer.stop() };
}

export function waitFor<T>(
  fn: () => T | undefined | false,
  timeoutMs: number,
  stepMs = 50,
): Promise<T> {
  return pollUntilTruthy('condition', fn, { timeoutMs, intervalMs: stepMs });
}
