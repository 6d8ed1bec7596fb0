import { StaticSystemStatusFeed } from '@trellis/auth';
import { createTestAuthority, type TestAuthority } from '@trellis/auth/testing';
import { createEventBus, kafkaConfigFromEnv, TOPICS, type EventBus } from '@trellis/events';
import { bootstrapService, type ServiceHandle } from '@trellis/service-kit';
import { uniqueGroupId, uniqueTopic, localServiceEnv } from '@trellis/testing';

import { createReferralsModule } from '../../src/app/app.module';
import { referralsConfigSchema, type ReferralsConfig } from '../../src/app/config';
import { ReferralsMessaging } from '../../src/events/referrals-messaging';
import { ReferralsGrpcClient } from './grpc-client';
import { createTestDatabase, TestClock, type TestDatabase } from './harness';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';

export interface ServiceUnderTest {
  handle: ServiceHandle<ReferralsConfig>;
  client: ReferralsGrpcClient;
  authority: TestAuthority;
  identity: IdentityTestServer;
  db: TestDatabase;
  clock: TestClock;
  bus: EventBus;
  appointmentsTopic: string;
  identityTopic: string;
  messaging: ReferralsMessaging;
  stop(): Promise<void>;
}

/**
 * The real referrals service (platform bootstrap, gRPC, auth guard, audit, outbox relay and the
 * inbox consumer of appointment + identity events on real Kafka) on a fresh schema, with a test
 * token authority, a real gRPC identity test server and per-suite inbound topics.
 */
export async function startService(): Promise<ServiceUnderTest> {
  const db = await createTestDatabase(20);
  const identity = new IdentityTestServer();
  await identity.start();
  const authority = await createTestAuthority();
  const clock = new TestClock(new Date('2028-02-01T09:00:00Z'));
  const bus = createEventBus(kafkaConfigFromEnv(process.env, 'referrals-int-test'));
  const appointmentsTopic = uniqueTopic('trellis.test.appointments');
  const identityTopic = uniqueTopic('trellis.test.identity');
  const admin = bus.admin();
  await admin.connect();
  await admin.createTopics([
    TOPICS.referralsReferral,
    ...Object.values(TOPICS).filter((t) => t.name === 'trellis.audit.access.v1'),
    { ...TOPICS.appointmentsAppointment, name: appointmentsTopic, partitions: 3 },
    { ...TOPICS.identityPatient, name: identityTopic, partitions: 3 },
  ]);
  await admin.disconnect();
  const { env, grpcAddress } = await localServiceEnv('referrals', db.schema, {
    IDENTITY_GRPC_ADDR: identity.address,
    APPOINTMENTS_EVENTS_TOPIC: appointmentsTopic,
    IDENTITY_EVENTS_TOPIC: identityTopic,
    INBOUND_EVENTS_GROUP: uniqueGroupId('referrals-inbound'),
  });
  const handle = await bootstrapService({
    name: 'referrals',
    module: createReferralsModule({
      auth: {
        keySet: authority.keySet,
        issuer: authority.issuer,
        audience: authority.audience,
        statusFeed: new StaticSystemStatusFeed(),
      },
      clock,
    }),
    config: referralsConfigSchema,
    env,
    handleSignals: false,
    grpc: {
      packages: ['trellis.referrals.v1'],
      protoFiles: ['trellis/referrals/v1/referrals.proto'],
    },
  });
  const client = new ReferralsGrpcClient(grpcAddress);
  const messaging = handle.app.get(ReferralsMessaging);
  return {
    handle,
    client,
    authority,
    identity,
    db,
    clock,
    bus,
    appointmentsTopic,
    identityTopic,
    messaging,
    async stop() {
      client.close();
      await handle.shutdown('test done');
      await identity.stop();
      await db.drop();
    },
  };
}
