import { StaticSystemStatusFeed } from '@trellis/auth';
import { createTestAuthority, type TestAuthority } from '@trellis/auth/testing';
import { createEventBus, kafkaConfigFromEnv, TOPICS, type EventBus } from '@trellis/events';
import { bootstrapService, type ServiceHandle } from '@trellis/service-kit';

import { createResultsModule } from '../../src/app/app.module';
import { resultsConfigSchema, type ResultsConfig } from '../../src/app/config';
import { ResultsGrpcClient } from './grpc-client';
import { createTestDatabase, TestClock, type TestDatabase } from './harness';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';
import { localServiceEnv } from '@trellis/testing';

export interface ServiceUnderTest {
  handle: ServiceHandle<ResultsConfig>;
  client: ResultsGrpcClient;
  authority: TestAuthority;
  identity: IdentityTestServer;
  db: TestDatabase;
  clock: TestClock;
  bus: EventBus;
  stop(): Promise<void>;
}

/**
 * The real results service (platform bootstrap, gRPC, auth guard, audit, outbox relay on real
 * Kafka) on a fresh schema, with a test token authority and a real gRPC identity test server.
 */
export async function startService(): Promise<ServiceUnderTest> {
  const db = await createTestDatabase(20);
  const identity = new IdentityTestServer();
  await identity.start();
  const authority = await createTestAuthority();
  const clock = new TestClock(new Date());
  const bus = createEventBus(kafkaConfigFromEnv(process.env, 'results-int-test'));
  const admin = bus.admin();
  await admin.connect();
  await admin.createTopics([TOPICS.resultsReport, TOPICS.auditAccess]);
  await admin.disconnect();
  const { env, grpcAddress } = await localServiceEnv('results', db.schema, {
    IDENTITY_GRPC_ADDR: identity.address,
    IDENTITY_CACHE_TTL_MS: '0',
  });
  const handle = await bootstrapService({
    name: 'results',
    module: createResultsModule({
      auth: {
        keySet: authority.keySet,
        issuer: authority.issuer,
        audience: authority.audience,
        statusFeed: new StaticSystemStatusFeed(),
      },
      clock,
    }),
    config: resultsConfigSchema,
    env,
    handleSignals: false,
    grpc: { packages: ['trellis.results.v1'], protoFiles: ['trellis/results/v1/results.proto'] },
  });
  const client = new ResultsGrpcClient(grpcAddress);
  return {
    handle,
    client,
    authority,
    identity,
    db,
    clock,
    bus,
    async stop() {
      client.close();
      await handle.shutdown('test done');
      await identity.stop();
      await db.drop();
    },
  };
}
