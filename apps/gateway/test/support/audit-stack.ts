// The stack the AuditEvent and citizen tests drive over real HTTP: the real gateway in this process,
// identity and the audit store as child processes from their own entry points (fresh schemas, free
// ports), the audit store consuming the gateway's access-audit topic from its beginning.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createTestSchema,
  freePort,
  serviceEnv,
  spawnService,
  uniqueGroupId,
  uniqueTopic,
  type ServiceProcess,
  type TestSchema,
} from '@trellis/testing';

import {
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  startGateway,
  type GatewayUnderTest,
  type TestClient,
} from './harness';

export interface AuditStack {
  gw: GatewayUnderTest;
  fhirBase: string;
  identity: ServiceProcess;
  audit: ServiceProcess;
  /** The platforms' schemas (their outboxes hold the access records they wrote). */
  schemas: { identity: string; audit: string };
  /** The local OpenID provider's issuer (the gateway trusts it for citizens' ID tokens). */
  idpIssuer: string;
  /** Where the audit store sends flags: the DPO topic, and the regional streams' template. */
  flagTopic: string;
  regionTopic(region: string): string;
  /** Starts the local citizen OpenID provider with these demo citizens (the seeded patients). */
  startIdp(
    citizens: DemoCitizen[],
    redirectUri: string,
    env?: Record<string, string>,
  ): Promise<ServiceProcess>;
  /** A connected system with these scopes for an organisation, and a fresh token of it. */
  system(
    scopes: string[],
    odsCode: string,
    region?: string,
  ): Promise<{ client: TestClient; token: string }>;
  stop(): Promise<void>;
}

async function spawnPlatform(
  name: 'identity' | 'audit' | 'results' | 'referrals' | 'appointments',
  port: number,
  gatewayUrl: string,
  settings: Record<string, string>,
): Promise<{ process: ServiceProcess; schema: TestSchema }> {
  const schema = await createTestSchema(name);
  try {
    const child = await spawnService({
      name,
      env: serviceEnv({
        SERVICE_NAME: name,
        DATABASE_SCHEMA: schema.schema,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        GATEWAY_URL: gatewayUrl,
        AUTH_ISSUER: gatewayUrl,
        AUTH_JWKS_URL: `${gatewayUrl}/.well-known/jwks.json`,
        SHUTDOWN_TIMEOUT_MS: '5000',
        ...settings,
      }),
      ready: { grpc: `127.0.0.1:${port}` },
      readyTimeoutMs: 90_000,
      stopTimeoutMs: 8_000,
    });
    return { process: child, schema };
  } catch (e) {
    await schema.drop().catch(() => undefined);
    throw e;
  }
}

export interface DemoCitizen {
  sub: string;
  email: string;
  password: string;
  nhsNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string;
}

export async function startAuditStack(
  options: {
    gatewayEnv?: Record<string, string>;
    results?: boolean;
    /** Referrals and appointments too: a citizen's whole `$everything`. */
    referrals?: boolean;
    appointments?: boolean;
  } = {},
): Promise<AuditStack> {
  const [gatewayPort, identityPort, auditPort, idpPort, resultsPort, referralsPort, apptPort] =
    await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const idpIssuer = `http://127.0.0.1:${idpPort}`;
  const flagTopic = uniqueTopic('trellis.audit.flag');
  const regionPrefix = uniqueTopic('trellis.region');
  const regionTopic = (region: string) => `${regionPrefix}.${region}`;
  const regions = ['north-east', 'north-west', 'yorkshire', 'midlands', 'east', 'london'];
  await createTopics([{ name: flagTopic }, ...regions.map((r) => ({ name: regionTopic(r) }))]);
  const dir = mkdtempSync(join(tmpdir(), 'citizen-idp-'));
  const gw = await startGateway(
    {
      IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
      AUDIT_GRPC_ADDR: `127.0.0.1:${auditPort}`,
      GATEWAY_RATE_LIMIT_PER_WINDOW: '1000000',
      CITIZEN_OIDC_ISSUER: idpIssuer,
      ...(options.results ? { RESULTS_GRPC_ADDR: `127.0.0.1:${resultsPort}` } : {}),
      ...(options.referrals ? { REFERRALS_GRPC_ADDR: `127.0.0.1:${referralsPort}` } : {}),
      ...(options.appointments ? { APPOINTMENTS_GRPC_ADDR: `127.0.0.1:${apptPort}` } : {}),
      ...options.gatewayEnv,
    },
    { httpPort: gatewayPort },
  );
  const rangeFirst = 999_000_000 + Math.floor(Math.random() * 900) * 1_000;
  const started = await Promise.allSettled([
    spawnPlatform('identity', identityPort, gatewayUrl, {
      OUTBOX_RELAY_ENABLED: 'false',
      NHS_NUMBER_RANGE_NAME: 'audit_test',
      NHS_NUMBER_RANGE_FIRST: String(rangeFirst),
      NHS_NUMBER_RANGE_LAST: String(rangeFirst + 999),
    }),
    spawnPlatform('audit', auditPort, gatewayUrl, {
      AUDIT_TOPICS: gw.auditTopic,
      // its own consumer group: stores of other suites (other topics) in one group would share
      // its partitions — kafkajs' assigner hands every member partitions of every topic the group
      // reads, so this store could be given another suite's topic and never see its own
      AUDIT_GROUP: uniqueGroupId('trellis.audit.store'),
      AUDIT_RETENTION_MONTHS: '2',
      AUDIT_PARTITIONS_AHEAD: '1',
      AUDIT_INGEST_BATCH_SIZE: '100',
      AUDIT_FLAG_TOPIC: flagTopic,
      AUDIT_REGION_TOPIC_TEMPLATE: `${regionPrefix}.{region}`,
    }),
    ...(options.results
      ? [
          spawnPlatform('results', resultsPort, gatewayUrl, {
            OUTBOX_RELAY_ENABLED: 'false',
            IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
            IDENTITY_CACHE_TTL_MS: '0',
          }),
        ]
      : []),
    ...(options.referrals
      ? [
          spawnPlatform('referrals', referralsPort, gatewayUrl, {
            OUTBOX_RELAY_ENABLED: 'false',
            INBOUND_EVENTS_ENABLED: 'false',
            IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
          }),
        ]
      : []),
    ...(options.appointments
      ? [
          spawnPlatform('appointments', apptPort, gatewayUrl, {
            OUTBOX_RELAY_ENABLED: 'false',
            IDENTITY_EVENTS_ENABLED: 'false',
            IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
          }),
        ]
      : []),
  ]);
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  let idp: ServiceProcess | undefined;
  const stopAll = async () => {
    await idp?.stop().catch(() => undefined);
    for (const s of ok) {
      await s.process.stop().catch(() => undefined);
      await s.schema.drop();
    }
    await gw.stop();
    await deleteTopics([flagTopic, ...regions.map(regionTopic)]);
    rmSync(dir, { recursive: true, force: true });
  };
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const [identity, audit] = ok as [(typeof ok)[0], (typeof ok)[0]];
  return {
    gw,
    fhirBase: `${gw.baseUrl}/fhir`,
    identity: identity.process,
    audit: audit.process,
    schemas: { identity: identity.schema.schema, audit: audit.schema.schema },
    idpIssuer,
    flagTopic,
    regionTopic,
    async startIdp(citizens, redirectUri, env = {}) {
      const file = join(dir, 'citizens.json');
      writeFileSync(file, JSON.stringify(citizens), { mode: 0o600 });
      idp = await spawnService({
        name: 'citizen-idp',
        env: serviceEnv({
          SERVICE_NAME: 'citizen-idp',
          DEPLOY_ENV: 'test',
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(idpPort),
          LOG_LEVEL: 'warn',
          CITIZEN_IDP_ISSUER: idpIssuer,
          CITIZEN_IDP_REDIRECT_URIS: redirectUri,
          CITIZEN_IDP_CITIZENS_FILE: file,
          CITIZEN_IDP_KEYS_FILE: join(dir, 'jwks.json'),
          // no professionals unless the test brings them (never the checkout's demo file)
          CITIZEN_IDP_STAFF_FILE: join(dir, 'staff.json'),
          ...env,
        }),
        ready: { http: `${idpIssuer}/health/ready` },
        readyTimeoutMs: 60_000,
      });
      return idp;
    },
    async system(scopes, odsCode, region = 'north-east') {
      const client = await registerClient(gw, { scopes, odsCode, region });
      return { client, token: await getToken(gw, client, scopes.join(' ')) };
    },
    stop: stopAll,
  };
}
