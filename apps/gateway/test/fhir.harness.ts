import { StaticSystemStatusFeed } from '@trellis/auth';
import { bootstrapService, type ServiceHandle } from '@trellis/platform';
import { createTestSchema, loadInfraEnv, uniqueTopic, type TestSchema } from '@trellis/testing';
import { createRemoteJWKSet } from 'jose';

// The FHIR tests run the real identity platform in-process next to the gateway (test-only edge:
// apps never import apps at run time; the gateway reaches identity over gRPC only).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createIdentityModule } from '../../identity/src/app/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { identityConfigSchema } from '../../identity/src/app/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createAppointmentsModule } from '../../appointments/src/app/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { appointmentsConfigSchema } from '../../appointments/src/app/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createReferralsModule } from '../../referrals/src/app/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { referralsConfigSchema } from '../../referrals/src/app/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createResultsModule } from '../../results/src/app/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { resultsConfigSchema } from '../../results/src/app/config';
import {
  collect,
  createTopics,
  deleteTopics,
  freePort,
  getToken,
  registerClient,
  startGateway,
  type GatewayUnderTest,
} from './support/harness';

export interface FhirStack {
  gw: GatewayUnderTest;
  identity: ServiceHandle;
  identitySchema: TestSchema;
  conformanceTopic: string;
  fhirBase: string;
  /** The results platform, when started (`{ results: true }`). */
  results?: ServiceHandle;
  /** The referrals platform, when started (`{ referrals: true }`). */
  referrals?: ServiceHandle;
  /** The appointments platform, when started (`{ appointments: true }`). */
  appointments?: ServiceHandle;
  /** A fresh token for a new connected system holding `scopes`. */
  token(scopes: string[], odsCode?: string): Promise<{ token: string; systemId: string }>;
  stopIdentity(): Promise<void>;
  /** Stops one of the in-process platforms (a platform that "does not answer"). */
  stopPlatform(name: 'results' | 'referrals' | 'appointments'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The running stack the FHIR tests drive over real HTTP: the real gateway (registry, token
 * endpoint, FHIR facade) and the real identity platform (its own schema), identity verifying the
 * gateway's tokens through the published JWKS. appointments/referrals/results point at ports
 * where nothing listens unless `platforms` says otherwise (a stopped platform).
 */
export async function startFhirStack(
  platforms: Record<string, string> = {},
  options: { results?: boolean; referrals?: boolean; appointments?: boolean } = {},
): Promise<FhirStack> {
  const conformanceTopic = uniqueTopic('trellis.gateway.conformance');
  await createTopics([{ name: conformanceTopic }]);
  const identityPort = await freePort();
  const dead = await freePort();
  const resultsPort = options.results ? await freePort() : undefined;
  const referralsPort = options.referrals ? await freePort() : undefined;
  const appointmentsPort = options.appointments ? await freePort() : undefined;
  const gw = await startGateway({
    IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
    APPOINTMENTS_GRPC_ADDR: appointmentsPort
      ? `127.0.0.1:${appointmentsPort}`
      : (platforms['appointments'] ?? `127.0.0.1:${dead}`),
    REFERRALS_GRPC_ADDR: referralsPort
      ? `127.0.0.1:${referralsPort}`
      : (platforms['referrals'] ?? `127.0.0.1:${dead}`),
    RESULTS_GRPC_ADDR: resultsPort
      ? `127.0.0.1:${resultsPort}`
      : (platforms['results'] ?? `127.0.0.1:${dead}`),
    FHIR_CONFORMANCE_TOPIC: conformanceTopic,
    FHIR_EVERYTHING_DEADLINE_MS: '1500',
    GATEWAY_RATE_LIMIT_PER_WINDOW: '1000000',
  });
  const infra = loadInfraEnv();
  const identitySchema = await createTestSchema('identity');
  const rangeFirst = 999_000_000 + Math.floor(Math.random() * 900) * 1_000;
  const identity = await bootstrapService({
    name: 'identity',
    module: createIdentityModule({
      authKeySet: createRemoteJWKSet(new URL(`${gw.baseUrl}/.well-known/jwks.json`)),
      authIssuer: gw.baseUrl,
      statusFeed: new StaticSystemStatusFeed(),
    }),
    config: identityConfigSchema,
    env: {
      ...infra,
      SERVICE_NAME: 'identity',
      DATABASE_SCHEMA: identitySchema.schema,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(identityPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      AUTH_ISSUER: gw.baseUrl,
      DATABASE_POOL_SIZE: '20',
      NHS_NUMBER_RANGE_NAME: 'fhir_test',
      NHS_NUMBER_RANGE_FIRST: String(rangeFirst),
      NHS_NUMBER_RANGE_LAST: String(rangeFirst + 999),
      OUTBOX_RELAY_ENABLED: 'false',
    },
    grpc: { packages: ['trellis.identity.v1'], protoFiles: ['trellis/identity/v1/identity.proto'] },
    handleSignals: false,
  });
  let resultsSchema: TestSchema | undefined;
  let results: ServiceHandle | undefined;
  if (resultsPort) {
    resultsSchema = await createTestSchema('results');
    results = await bootstrapService({
      name: 'results',
      module: createResultsModule({
        auth: {
          keySet: createRemoteJWKSet(new URL(`${gw.baseUrl}/.well-known/jwks.json`)),
          issuer: gw.baseUrl,
          statusFeed: new StaticSystemStatusFeed(),
        },
      }),
      config: resultsConfigSchema,
      env: {
        ...infra,
        SERVICE_NAME: 'results',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(resultsPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        DATABASE_SCHEMA: resultsSchema.schema,
        IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
        IDENTITY_CACHE_TTL_MS: '0',
        OUTBOX_RELAY_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      },
      handleSignals: false,
      grpc: { packages: ['trellis.results.v1'], protoFiles: ['trellis/results/v1/results.proto'] },
    });
  }
  let referralsSchema: TestSchema | undefined;
  let referrals: ServiceHandle | undefined;
  if (referralsPort) {
    referralsSchema = await createTestSchema('referrals');
    referrals = await bootstrapService({
      name: 'referrals',
      module: createReferralsModule({
        auth: {
          keySet: createRemoteJWKSet(new URL(`${gw.baseUrl}/.well-known/jwks.json`)),
          issuer: gw.baseUrl,
          statusFeed: new StaticSystemStatusFeed(),
        },
      }),
      config: referralsConfigSchema,
      env: {
        ...infra,
        SERVICE_NAME: 'referrals',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(referralsPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        DATABASE_SCHEMA: referralsSchema.schema,
        IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
        OUTBOX_RELAY_ENABLED: 'false',
        INBOUND_EVENTS_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      },
      handleSignals: false,
      grpc: {
        packages: ['trellis.referrals.v1'],
        protoFiles: ['trellis/referrals/v1/referrals.proto'],
      },
    });
  }
  let appointmentsSchema: TestSchema | undefined;
  let appointments: ServiceHandle | undefined;
  if (appointmentsPort) {
    appointmentsSchema = await createTestSchema('appointments');
    appointments = await bootstrapService({
      name: 'appointments',
      module: createAppointmentsModule({
        auth: {
          keySet: createRemoteJWKSet(new URL(`${gw.baseUrl}/.well-known/jwks.json`)),
          issuer: gw.baseUrl,
          statusFeed: new StaticSystemStatusFeed(),
        },
      }),
      config: appointmentsConfigSchema,
      env: {
        ...infra,
        SERVICE_NAME: 'appointments',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(appointmentsPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        DATABASE_SCHEMA: appointmentsSchema.schema,
        IDENTITY_GRPC_ADDR: `127.0.0.1:${identityPort}`,
        OUTBOX_RELAY_ENABLED: 'false',
        IDENTITY_EVENTS_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      },
      handleSignals: false,
      grpc: {
        packages: ['trellis.appointments.v1'],
        protoFiles: ['trellis/appointments/v1/appointments.proto'],
      },
    });
  }
  const stopped = new Set<string>();
  const stopOnce = async (name: string, h: ServiceHandle | undefined) => {
    if (!h || stopped.has(name)) return;
    stopped.add(name);
    await h.shutdown('test: platform stopped');
  };
  let identityStopped = false;
  return {
    gw,
    identity,
    identitySchema,
    ...(results ? { results } : {}),
    ...(referrals ? { referrals } : {}),
    ...(appointments ? { appointments } : {}),
    conformanceTopic,
    fhirBase: `${gw.baseUrl}/fhir`,
    async token(scopes, odsCode = 'A81001') {
      const client = await registerClient(gw, { scopes, odsCode, region: 'north-east' });
      return { token: await getToken(gw, client, scopes.join(' ')), systemId: client.id };
    },
    async stopIdentity() {
      if (identityStopped) return;
      identityStopped = true;
      await identity.shutdown('test: platform stopped');
    },
    async stopPlatform(name) {
      await stopOnce(name, { results, referrals, appointments }[name]);
    },
    async stop() {
      await stopOnce('results', results);
      await stopOnce('referrals', referrals);
      await stopOnce('appointments', appointments);
      await appointmentsSchema?.drop();
      await referralsSchema?.drop();
      await resultsSchema?.drop();
      if (!identityStopped) await identity.shutdown('test done');
      await identitySchema.drop();
      await gw.stop();
      await deleteTopics([conformanceTopic]);
    },
  };
}

export { collect };
