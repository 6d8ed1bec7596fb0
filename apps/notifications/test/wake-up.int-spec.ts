import { randomUUID } from 'node:crypto';

import { SystemStatusRegistry } from '@trellis/auth';
import { events, toTimestamp } from '@trellis/contracts';
import { createPrismaClient } from '@trellis/database';
import type { ReceivedEvent } from '@trellis/events';
import { createTestSchema, waitUntil, type TestSchema } from '@trellis/testing';

import { DeliveryWorker } from '../src/app/delivery/delivery-worker';
import { DeliveryRepository } from '../src/app/delivery/delivery.repository';
import type { EndpointPoster } from '../src/app/delivery/endpoint-poster';
import { RegistrySubscriberAccess } from '../src/app/delivery/subscriber-access';
import { pgListenConnection, WakeListener } from '../src/app/delivery/wake-listener';
import { PrismaClient } from '../src/app/prisma';
import { recordEvent } from '../src/events/stream-recorder';
import { receivedEvent, silentLogger } from './support/events';

// The wake-up against real PostgreSQL: the recorder's NOTIFY (sent on commit of the inbox
// transaction) reaches the listener of its schema only, and wakes a worker whose poll is an hour
// away, which then delivers the recorded event.

const TOPIC = 'https://fhir.trellis.nhs.uk/SubscriptionTopic/result-available';
const ODS = 'A81001';
const SYS = `sys-${ODS}`;
const HOUR_MS = 3_600_000;
const HOOK = 'https://gp2.example/hook';

let schema: TestSchema;
let other: TestSchema;
let prisma: PrismaClient;

const logger = silentLogger;

beforeAll(async () => {
  schema = await createTestSchema('notifications');
  other = await createTestSchema('notifications');
  prisma = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await schema?.drop();
  await other?.drop();
});

function resultAvailable(nhs: string): ReceivedEvent {
  const data = events.v1.ResultAvailable.encode(
    events.v1.ResultAvailable.fromPartial({
      context: {
        organisations: [{ odsCode: ODS, region: 'north-east' }],
        regions: ['north-east'],
        occurredAt: toTimestamp(new Date()),
        correlationId: '',
      },
      report: { reportId: randomUUID(), nhsNumber: nhs, category: 'LAB', status: 'final' },
    }),
  ).finish();
  return receivedEvent('uk.nhs.trellis.results.ResultAvailable.v1', data);
}

const readers = { mayReadRestricted: () => false };

function listener(target: TestSchema): WakeListener {
  return new WakeListener({
    schema: target.schema,
    connection: pgListenConnection(target.url, target.schema),
    reconnectMs: 1_000,
    logger,
  });
}

it('a committed recording wakes the listener of its schema, not that of another schema', async () => {
  await prisma.subscription.create({
    data: {
      id: randomUUID(),
      ownerSystemId: SYS,
      ownerOdsCode: ODS,
      topic: TOPIC,
      endpoint: 'https://gp.example/hook',
      payloadContent: 'id-only',
      status: 'active',
    },
  });
  const own = listener(schema);
  const foreign = listener(other);
  let ownWakes = 0;
  let foreignWakes = 0;
  own.start(() => (ownWakes += 1));
  foreign.start(() => (foreignWakes += 1));
  try {
    await waitUntil('both listening', () => own.listening && foreign.listening, {
      timeoutMs: 60_000,
    });
    await prisma.$transaction((tx) => recordEvent(resultAvailable('9990000018'), tx, readers));
    await waitUntil('the wake-up', () => ownWakes > 0, { timeoutMs: 60_000 });
    expect(foreignWakes).toBe(0);
  } finally {
    await own.stop();
    await foreign.stop();
  }
});

it('a worker whose next poll is an hour away delivers a recorded event once woken', async () => {
  const id = randomUUID();
  await prisma.subscription.create({
    data: {
      id,
      ownerSystemId: SYS,
      ownerOdsCode: ODS,
      topic: TOPIC,
      endpoint: HOOK,
      payloadContent: 'id-only',
      status: 'active',
      patientNhsNumber: '9990000026',
    },
  });
  const registry = new SystemStatusRegistry();
  registry.apply({
    systemId: SYS,
    status: 'active',
    version: 1,
    allowedScopes: ['system/DiagnosticReport.rs', 'system/Subscription.cruds'],
  });
  registry.markReady();
  const posted: string[] = [];
  const poster: EndpointPoster = (url) => {
    posted.push(url);
    return Promise.resolve(204);
  };
  const worker = new DeliveryWorker(
    new DeliveryRepository(prisma),
    { pollMs: HOUR_MS, concurrency: 4, retryBaseMs: 10, retryMaxMs: 10, retentionMs: HOUR_MS },
    logger,
    new RegistrySubscriberAccess(registry),
    poster,
  );
  const wakes = listener(schema);
  worker.start();
  wakes.start(() => worker.wake());
  try {
    await waitUntil('listening', () => wakes.listening, { timeoutMs: 60_000 });
    await prisma.$transaction((tx) => recordEvent(resultAvailable('9990000026'), tx, readers));
    await waitUntil(
      'the delivery',
      async () =>
        Number(
          (await prisma.subscription.findUniqueOrThrow({ where: { id } })).deliveredThrough,
        ) === 1,
      { timeoutMs: 60_000 },
    );
    expect(posted.filter((url) => url === HOOK)).toHaveLength(1);
  } finally {
    await wakes.stop();
    await worker.stop();
  }
});
