import { randomUUID } from 'node:crypto';

import { SystemStatusRegistry, type SystemStatusUpdate } from '@trellis/auth';
import { createPrismaClient } from '@trellis/database';
import { createTestSchema, type TestSchema } from '@trellis/testing';

import { DeliveryWorker } from '../src/app/delivery/delivery-worker';
import { DeliveryRepository } from '../src/app/delivery/delivery.repository';
import type { EndpointPoster } from '../src/app/delivery/endpoint-poster';
import {
  RegistrySubscriberAccess,
  type SubscriberAccess,
} from '../src/app/delivery/subscriber-access';
import { PrismaClient } from '../src/app/prisma';
import { SubscriptionsRepository } from '../src/app/subscriptions/subscriptions.repository';
import { SubscriptionsService } from '../src/app/subscriptions/subscriptions.service';
import { silentLogger } from './support/events';

// The delivery worker against real PostgreSQL with a scripted endpoint (fetch): order, retry of
// the same event after a failure (status error, backoff) with the same notification id, recovery
// to active, heartbeats when quiet, two workers never delivering one subscription at once, and
// the subscriber's standing judged before every notification (suspension, scopes: issue 21).

let schema: TestSchema;
let prisma: PrismaClient;

const logger = silentLogger;

beforeAll(async () => {
  schema = await createTestSchema('notifications');
  prisma = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await schema?.drop();
});

interface Post {
  id: string;
  type: string;
  eventNumber?: string;
}

/** An endpoint answering from a script (true = 2xx) and recording what it was sent. */
function endpoint(answers: (post: Post) => boolean) {
  const posts: Post[] = [];
  const poster: EndpointPoster = async (_url, { body }) => {
    const bundle = JSON.parse(body) as {
      id: string;
      entry: {
        resource: {
          parameter: {
            name: string;
            valueCode?: string;
            part?: { name: string; valueString?: string }[];
          }[];
        };
      }[];
    };
    const params = bundle.entry[0]!.resource.parameter;
    const event = params.find((p) => p.name === 'notification-event');
    const post: Post = {
      id: bundle.id,
      type: String(params.find((p) => p.name === 'type')?.valueCode),
      ...(event
        ? { eventNumber: event.part?.find((p) => p.name === 'event-number')?.valueString }
        : {}),
    };
    posts.push(post);
    return Promise.resolve(answers(post) ? 204 : 503);
  };
  return { posts, poster };
}

const SYS = 'sys';
/** The registry as the feed left it: the owner system active with the topic's read scope. */
function registryWith(...updates: SystemStatusUpdate[]): SystemStatusRegistry {
  const registry = new SystemStatusRegistry();
  registry.apply({
    systemId: SYS,
    status: 'active',
    version: 1,
    allowedScopes: ['system/DiagnosticReport.rs', 'system/Subscription.cruds'],
  });
  for (const u of updates) registry.apply(u);
  registry.markReady();
  return registry;
}

async function subscription(
  events: number,
  heartbeatSeconds = 0,
  ownerSystemId = SYS,
): Promise<string> {
  const id = randomUUID();
  await prisma.subscription.create({
    data: {
      id,
      ownerSystemId,
      ownerOdsCode: 'A81001',
      topic: 'https://fhir.trellis.nhs.uk/SubscriptionTopic/result-available',
      endpoint: 'https://gp.example/hook',
      payloadContent: 'id-only',
      status: 'active',
      heartbeatSeconds,
      eventCount: events,
    },
  });
  for (let n = 1; n <= events; n++)
    await prisma.notificationEvent.create({
      data: {
        subscriptionId: id,
        eventNumber: n,
        notificationId: randomUUID(),
        sourceEventId: randomUUID(),
        sourceEventType: 'uk.nhs.trellis.results.ResultAvailable.v1',
        focus: `DiagnosticReport/r${String(n)}`,
        patient: 'Patient/9990000018',
        occurredAt: new Date(),
      },
    });
  return id;
}

const worker = (
  poster: EndpointPoster,
  retryBaseMs = 1,
  access: SubscriberAccess = new RegistrySubscriberAccess(registryWith()),
) =>
  new DeliveryWorker(
    new DeliveryRepository(prisma),
    { pollMs: 10, concurrency: 4, retryBaseMs, retryMaxMs: retryBaseMs, retentionMs: 86_400_000 },
    logger,
    access,
    poster,
  );

async function due(id: string): Promise<void> {
  await prisma.subscription.update({ where: { id }, data: { nextAttemptAt: new Date(0) } });
}

it('delivers in order; a failure stops the stream and the same event is retried with the same id', async () => {
  const id = await subscription(3);
  let failSecondOnce = true;
  const ep = endpoint((p) => {
    if (p.eventNumber === '2' && failSecondOnce) {
      failSecondOnce = false;
      return false;
    }
    return true;
  });
  const w = worker(ep.poster, 60_000);
  await w.runOnce();
  const failed = await prisma.subscription.findUniqueOrThrow({ where: { id } });
  expect([failed.status, Number(failed.deliveredThrough), failed.attempts]).toEqual([
    'error',
    1,
    1,
  ]);
  expect(failed.lastError).toBe('endpoint answered 503');
  expect(failed.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 30_000); // backing off
  await w.runOnce(); // not due yet: nothing sent
  expect(ep.posts.map((p) => p.eventNumber)).toEqual(['1', '2']);
  await due(id);
  await w.runOnce();
  const done = await prisma.subscription.findUniqueOrThrow({ where: { id } });
  expect([done.status, Number(done.deliveredThrough), done.attempts]).toEqual(['active', 3, 0]);
  expect(ep.posts.map((p) => p.eventNumber)).toEqual(['1', '2', '2', '3']);
  expect(ep.posts[1]!.id).toBe(ep.posts[2]!.id);
});

it('sends a heartbeat when a subscription has been quiet for its period, and none before', async () => {
  const id = await subscription(0, 10);
  const ep = endpoint(() => true);
  const w = worker(ep.poster);
  await w.runOnce();
  expect(ep.posts).toEqual([]);
  await prisma.subscription.update({
    where: { id },
    data: { createdAt: new Date(Date.now() - 11_000) },
  });
  await w.runOnce();
  expect(ep.posts.map((p) => p.type)).toEqual(['heartbeat']);
  await w.runOnce(); // the heartbeat reset the quiet period
  expect(ep.posts).toHaveLength(1);
});

it('never lets two workers deliver one subscription at once (lease)', async () => {
  const id = await subscription(20);
  const ep = endpoint(() => true);
  await Promise.all([worker(ep.poster).runOnce(), worker(ep.poster).runOnce()]);
  const sent = ep.posts.map((p) => Number(p.eventNumber));
  expect(sent).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  const s = await prisma.subscription.findUniqueOrThrow({ where: { id } });
  expect([Number(s.deliveredThrough), s.leaseUntil]).toEqual([20, null]);
});

describe("the subscriber's standing, judged before every notification (issue 21)", () => {
  const row = (id: string) => prisma.subscription.findUniqueOrThrow({ where: { id } });
  // each case sees only its own subscriptions (an earlier case's heartbeat could fall due)
  beforeEach(async () => {
    await prisma.$executeRaw`UPDATE subscriptions SET deleted_at = now() WHERE deleted_at IS NULL`;
  });

  it('a suspended system is sent nothing: its subscription goes off with the reason', async () => {
    const id = await subscription(2);
    const registry = registryWith();
    const ep = endpoint(() => true);
    const w = worker(ep.poster, 1, new RegistrySubscriberAccess(registry));
    await w.runOnce();
    expect(ep.posts.map((p) => p.eventNumber)).toEqual(['1', '2']);
    await prisma.notificationEvent.create({
      data: {
        subscriptionId: id,
        eventNumber: 3,
        notificationId: randomUUID(),
        sourceEventId: randomUUID(),
        sourceEventType: 'uk.nhs.trellis.results.ResultAvailable.v1',
        focus: 'DiagnosticReport/r3',
        patient: 'Patient/9990000018',
        occurredAt: new Date(),
      },
    });
    await prisma.subscription.update({ where: { id }, data: { eventCount: 3 } });
    registry.apply({ systemId: SYS, status: 'suspended', version: 2 });
    await w.runOnce();
    const off = await row(id);
    expect(ep.posts.map((p) => p.eventNumber)).toEqual(['1', '2']);
    expect([off.status, Number(off.deliveredThrough)]).toEqual(['off', 2]);
    expect(off.lastError).toMatch(/suspended/);
    // reinstated: the subscription stays off (the system subscribes again)
    registry.apply({
      systemId: SYS,
      status: 'active',
      version: 3,
      allowedScopes: ['system/DiagnosticReport.rs'],
    });
    await due(id);
    await w.runOnce();
    expect(ep.posts).toHaveLength(2);
    expect((await row(id)).status).toBe('off');
  });

  it("a system that lost the topic's read scope is sent nothing, heartbeats included", async () => {
    const events = await subscription(1);
    const quiet = await subscription(0, 10);
    await prisma.subscription.update({
      where: { id: quiet },
      data: { createdAt: new Date(Date.now() - 11_000) },
    });
    const registry = registryWith({
      systemId: SYS,
      status: 'active',
      version: 2,
      allowedScopes: ['system/Patient.rs', 'system/Subscription.cruds'],
    });
    const ep = endpoint(() => true);
    await worker(ep.poster, 1, new RegistrySubscriberAccess(registry)).runOnce();
    expect(ep.posts).toEqual([]);
    const [a, b] = [await row(events), await row(quiet)];
    expect([a.status, b.status]).toEqual(['off', 'off']);
    expect(a.lastError).toBe(
      'the subscriber system no longer holds system/DiagnosticReport.r: notifications stopped',
    );
  });

  it('a system the feed has not named yet is held (error, retried), then served once it is', async () => {
    const id = await subscription(1, 0, 'sys-new');
    const registry = registryWith();
    const ep = endpoint(() => true);
    const w = worker(ep.poster, 1, new RegistrySubscriberAccess(registry));
    await w.runOnce();
    const held = await row(id);
    expect([held.status, held.lastError, ep.posts.length]).toEqual([
      'error',
      'the subscriber system is not known to the system registry feed yet',
      0,
    ]);
    registry.apply({
      systemId: 'sys-new',
      status: 'active',
      version: 1,
      allowedScopes: ['system/*.rs'],
    });
    await due(id);
    await w.runOnce();
    expect(ep.posts.map((p) => p.eventNumber)).toEqual(['1']);
    expect((await row(id)).status).toBe('active');
  });

  it('passes over, unsent, the event of a patient restricted since it was recorded (unless the system may read restricted records); $events hides it too', async () => {
    const plain = await subscription(2);
    const entitled = await subscription(2, 0, 'sys-restricted');
    await prisma.notificationEvent.updateMany({
      where: { subscriptionId: { in: [plain, entitled] }, eventNumber: 1 },
      data: { patient: 'Patient/9990000069' },
    });
    await prisma.restrictedPatient.create({
      data: { nhsNumber: '9990000069', restricted: true, version: 2 },
    });
    const registry = registryWith({
      systemId: 'sys-restricted',
      status: 'active',
      version: 1,
      allowedScopes: ['system/DiagnosticReport.rs', 'trellis/restricted.read'],
    });
    const ep = endpoint(() => true);
    await worker(ep.poster, 1, new RegistrySubscriberAccess(registry)).runOnce();
    const [a, b] = [await row(plain), await row(entitled)];
    expect([Number(a.deliveredThrough), Number(b.deliveredThrough)]).toEqual([2, 2]);
    expect(ep.posts.map((p) => p.eventNumber).sort()).toEqual(['1', '2', '2']);
    const service = new SubscriptionsService(new SubscriptionsRepository(prisma), {
      allowHttpEndpoints: false,
      maxPerSystem: 9,
    });
    const caller = (systemId: string, scopes: string[]) => ({
      systemId,
      odsCode: 'A81001',
      region: 'north-east',
      scopes,
      tokenId: 't',
      expiresAt: 0,
    });
    const numbers = async (id: string, c: ReturnType<typeof caller>) =>
      (await service.events(c, id, 1n, 0n)).events.map((e) => Number(e.eventNumber));
    expect(await numbers(plain, caller(SYS, ['system/Subscription.r']))).toEqual([2]);
    expect(
      await numbers(
        entitled,
        caller('sys-restricted', ['system/Subscription.r', 'trellis/restricted.read']),
      ),
    ).toEqual([1, 2]);
  });

  it('sends nothing and changes nothing before the registry replay is complete', async () => {
    const id = await subscription(1, 0, 'sys-replay');
    const ep = endpoint(() => true);
    await worker(ep.poster, 1, new RegistrySubscriberAccess(new SystemStatusRegistry())).runOnce();
    const s = await row(id);
    expect([ep.posts.length, s.status, s.attempts, s.leaseUntil]).toEqual([0, 'active', 0, null]);
  });
});
