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
  /** A fresh token for a new connected system holding `scopes`. */
  token(scopes: string[]): Promise<{ token: string; systemId: string }>;
  stopIdentity(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The running stack the FHIR tests drive over real HTTP: the real gateway (registry, token
 * endpoint, FHIR facade) and the real identity platform (its own schema), identity verifying the
 * gateway's tokens through the published JWKS. appointments/referrals/results point at ports
 * where nothing listens unless `platforms` says otherwise (a stopped platform).
 */
export async function startFhirStack(platforms: Record<string, string> = {}): Promise<FhirStack> {
  const conformanceTopic = uniqueTopic('trellis.gateway.conformance');
  await createTopics([{ name: conformanceTopic }]);
  const identityPort = await freePort();
  const dead = await freePort();
  const gw = await startGateway({
    IDENTITY_GRPC_URL: `127.0.0.1:${identityPort}`,
    APPOINTMENTS_GRPC_URL: platforms['appointments'] ?? `127.0.0.1:${dead}`,
    REFERRALS_GRPC_URL: platforms['referrals'] ?? `127.0.0.1:${dead}`,
    RESULTS_GRPC_URL: platforms['results'] ?? `127.0.0.1:${dead}`,
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
  let identityStopped = false;
  return {
    gw,
    identity,
    identitySchema,
    conformanceTopic,
    fhirBase: `${gw.baseUrl}/fhir`,
    async token(scopes) {
      const client = await registerClient(gw, { scopes, odsCode: 'B86001', region: 'north-east' });
      return { token: await getToken(gw, client, scopes.join(' ')), systemId: client.id };
    },
    async stopIdentity() {
      if (identityStopped) return;
      identityStopped = true;
      await identity.shutdown('test: platform stopped');
    },
    async stop() {
      if (!identityStopped) await identity.shutdown('test done');
      await identitySchema.drop();
      await gw.stop();
      await deleteTopics([conformanceTopic]);
    },
  };
}

export { collect };
