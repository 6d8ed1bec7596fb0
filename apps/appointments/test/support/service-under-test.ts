import { StaticSystemStatusFeed } from '@trellis/auth';
import { createTestAuthority, type TestAuthority } from '@trellis/auth/testing';
import { createEventBus, kafkaConfigFromEnv, TOPICS, type EventBus } from '@trellis/events';
import { bootstrapService, type ServiceHandle } from '@trellis/service-kit';
import { uniqueGroupId, uniqueTopic, localServiceEnv } from '@trellis/testing';

import { createAppointmentsModule } from '../../src/app/app.module';
import { appointmentsConfigSchema, type AppointmentsConfig } from '../../src/app/config';
import { AppointmentsMessaging } from '../../src/events/appointments-messaging';
import { AppointmentsGrpcClient } from './grpc-client';
import { createTestDatabase, TestClock, type TestDatabase } from './harness';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';

export interface ServiceUnderTest {
  handle: ServiceHandle<AppointmentsConfig>;
  client: AppointmentsGrpcClient;
  authority: TestAuthority;
  identity: IdentityTestServer;
  db: TestDatabase;
  clock: TestClock;
  bus: EventBus;
  identityTopic: string;
  messaging: AppointmentsMessaging;
  stop(): Promise<void>;
}

/**
 * The real appointments service (platform bootstrap, gRPC, auth guard, audit, outbox relay and
 * identity-events inbox consumer on real Kafka) on a fresh schema, with a test token authority
 * and a real gRPC identity test server.
 */
export interface StartOptions {
  /** Use this identity gRPC address (a real identity service) instead of the in-process test server. */
  identityAddress?: string;
  /** Consume identity events from this topic (default: a fresh unique topic). */
  identityTopic?: string;
  /** Use this token authority (shared with a real identity service). */
  authority?: TestAuthority;
}

export async function startService(options: StartOptions = {}): Promise<ServiceUnderTest> {
  const db = await createTestDatabase(20);
  const identity = new IdentityTestServer();
  await identity.start();
  const authority = options.authority ?? (await createTestAuthority());
  const clock = new TestClock(new Date());
  const bus = createEventBus(kafkaConfigFromEnv(process.env, 'appointments-int-test'));
  const identityTopic = options.identityTopic ?? uniqueTopic('trellis.test.identity');
  const admin = bus.admin();
  await admin.connect();
  await admin.createTopics([
    TOPICS.appointmentsAppointment,
    ...Object.values(TOPICS).filter((t) => t.name === 'trellis.audit.access.v1'),
    options.identityTopic === TOPICS.identityPatient.name
      ? TOPICS.identityPatient
      : { ...TOPICS.identityPatient, name: identityTopic, partitions: 3 },
    TOPICS.gatewaySystem,
  ]);
  await admin.disconnect();
  const { env, grpcAddress } = await localServiceEnv('appointments', db.schema, {
    IDENTITY_GRPC_ADDR: options.identityAddress ?? identity.address,
    IDENTITY_EVENTS_TOPIC: identityTopic,
    IDENTITY_EVENTS_GROUP: uniqueGroupId('appointments-identity'),
  });
  const handle = await bootstrapService({
    name: 'appointments',
    module: createAppointmentsModule({
      auth: {
        keySet: authority.keySet,
        issuer: authority.issuer,
        statusFeed: new StaticSystemStatusFeed(),
      },
      clock,
    }),
    config: appointmentsConfigSchema,
    env,
    handleSignals: false,
    grpc: {
      packages: ['trellis.appointments.v1'],
      protoFiles: ['trellis/appointments/v1/appointments.proto'],
    },
  });
  const client = new AppointmentsGrpcClient(grpcAddress);
  const messaging = handle.app.get(AppointmentsMessaging);
  return {
    handle,
    client,
    authority,
    identity,
    db,
    clock,
    bus,
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
