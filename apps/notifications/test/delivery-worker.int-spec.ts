import { randomUUID } from 'node:crypto';

import { createPrismaClient } from '@trellis/database';
import type { Logger } from '@trellis/platform';
import { createTestSchema, type TestSchema } from '@trellis/testing';

import { DeliveryWorker } from '../src/app/delivery/delivery-worker';
import { PrismaClient } from '../src/app/prisma';

// The delivery worker against real PostgreSQL with a scripted endpoint (fetch): order, retry of
// the same event after a failure (status error, backoff) with the same notification id, recovery
// to active, heartbeats when quiet, and two workers never delivering one subscription at once.

let schema: TestSchema;
let prisma: PrismaClient;

const logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

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
  const fetchImpl = (async (_url: string | URL | Request, init?: RequestInit) => {
    const bundle = JSON.parse(String(init?.body)) as {
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
    return new Response(null, { status: answers(post) ? 204 : 503 });
  }) as typeof fetch;
  return { posts, fetchImpl };
}

async function subscription(events: number, heartbeatSeconds = 0): Promise<string> {
  const id = randomUUID();
  await prisma.subscription.create({
    data: {
      id,
      ownerSystemId: 'sys',
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

const worker = (fetchImpl: typeof fetch, retryBaseMs = 1) =>
  new DeliveryWorker(
    prisma,
    { pollMs: 10, concurrency: 4, retryBaseMs, retryMaxMs: retryBaseMs, retentionMs: 86_400_000 },
    logger,
    fetchImpl,
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
  const w = worker(ep.fetchImpl, 60_000);
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
  const w = worker(ep.fetchImpl);
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
  await Promise.all([worker(ep.fetchImpl).runOnce(), worker(ep.fetchImpl).runOnce()]);
  const sent = ep.posts.map((p) => Number(p.eventNumber));
  expect(sent).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  const s = await prisma.subscription.findUniqueOrThrow({ where: { id } });
  expect([Number(s.deliveredThrough), s.leaseUntil]).toEqual([20, null]);
});
