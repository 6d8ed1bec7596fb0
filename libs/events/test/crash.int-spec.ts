// Proofs: a relay SIGKILLed between publishing a batch and marking it sent, and a consumer
// SIGKILLed after its handler's transaction committed but before its Kafka offset was committed,
// both restarted: 0 events lost, 0 handled twice in effect, per-key order kept.
import {
  createInboxConsumer,
  createOutbox,
  createOutboxRelay,
  type EventBus,
  type OutboxEventInput,
} from '../src';
import { startChild, type Child } from './child-process';
import {
  createTestDatabase,
  createTestTopics,
  testBus,
  testEventType,
  testNhsNumbers,
  uniqueGroup,
  waitFor,
  type TestDatabase,
} from './support';

async function enqueueEvents(
  db: TestDatabase,
  topic: string,
  total: number,
  keys: number,
): Promise<void> {
  const Happened = testEventType(topic);
  const outbox = createOutbox({ source: '/trellis/events-test' });
  const nhs = testNhsNumbers(keys);
  const events: OutboxEventInput[] = [];
  for (let i = 0; i < total; i++) {
    const key = nhs[i % keys]!;
    events.push(
      Happened.occurrence(
        { nhsNumber: key, n: Math.floor(i / keys) + 1, note: '', sentAtMs: Date.now() },
        { key },
      ),
    );
  }
  for (let i = 0; i < events.length; i += 500) {
    await db.prisma.$transaction((tx) => outbox.enqueueMany(tx, events.slice(i, i + 500)));
  }
}

async function counts(db: TestDatabase) {
  const [row] = await db.prisma.$queryRaw<
    { effects: number; distinct_events: number; unsent: number; out_of_order: number }[]
  >`
    SELECT (SELECT count(*)::int FROM test_effects) AS effects,
           (SELECT count(DISTINCT event_id)::int FROM test_effects) AS distinct_events,
           (SELECT count(*)::int FROM outbox_events WHERE sent_at IS NULL) AS unsent,
           (SELECT count(*)::int FROM (
              SELECT n, row_number() OVER (PARTITION BY key ORDER BY id) AS pos FROM test_effects
            ) t WHERE n <> pos) AS out_of_order`;
  return row!;
}

const childEnv = (db: TestDatabase, extra: Record<string, string>) => ({
  EVENTS_SCHEMA: db.schema,
  ...extra,
});

describe('crash safety', () => {
  let bus: EventBus;
  const children: Child[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(() => {
    bus = testBus('events-crash');
  });

  afterAll(async () => {
    for (const c of children) await c.kill('SIGKILL');
    for (const f of cleanups.reverse()) await f().catch(() => undefined);
  });

  it('relay SIGKILLed after publishing a batch but before marking it sent: nothing lost, nothing handled twice', async () => {
    const TOTAL = 3000;
    const BATCH = 200;
    const db = await createTestDatabase('events_rk');
    cleanups.push(() => db.drop());
    const topics = await createTestTopics(bus, 3);
    cleanups.push(() => topics.remove());
    await enqueueEvents(db, topics.topic, TOTAL, 30);

    const Happened = testEventType(topics.topic);
    const consumer = createInboxConsumer({
      bus,
      groupId: uniqueGroup('events-rk'),
      topics: [topics.topic],
      prisma: db.client(),
      handle: async (event, tx) => {
        const data = event.decode(Happened);
        await tx.$executeRaw`
          INSERT INTO test_effects (event_id, key, n, partition, "offset", pid)
          VALUES (${event.id}, ${data.nhsNumber}, ${data.n}, ${event.partition}, ${event.offset}::bigint, ${process.pid})`;
      },
    });
    cleanups.push(() => consumer.stop());
    await consumer.start();

    const first = startChild(
      'relay-child.ts',
      childEnv(db, { RELAY_BATCH_SIZE: String(BATCH), HANG_AT_BATCH: '3' }),
    );
    children.push(first);
    const [, size] = await first.waitForLine(/^HANG (\d+)$/);
    expect(Number(size)).toBe(BATCH);
    // Batch 3 is in Kafka (acknowledged) but the outbox still says unsent.
    expect((await counts(db)).unsent).toBe(TOTAL - 2 * BATCH);
    await first.kill('SIGKILL');
    expect(first.process.signalCode).toBe('SIGKILL');

    const second = startChild('relay-child.ts', childEnv(db, { RELAY_BATCH_SIZE: String(BATCH) }));
    children.push(second);
    await waitFor(
      'all events handled',
      async () => (await counts(db)).distinct_events >= TOTAL,
      90_000,
      200,
    );
    await waitFor('duplicates seen', async () => consumer.stats.duplicates >= BATCH, 10_000, 100);
    await new Promise((r) => setTimeout(r, 300));

    expect(await counts(db)).toEqual({
      effects: TOTAL,
      distinct_events: TOTAL,
      unsent: 0,
      out_of_order: 0,
    });
    // The re-published batch reached the consumer a second time and the inbox recognised it.
    expect(consumer.stats.duplicates).toBeGreaterThanOrEqual(BATCH);
    expect(consumer.stats.handled).toBe(TOTAL);
    await second.kill('SIGTERM');
  });

  it('consumer SIGKILLed after its transaction committed but before the offset commit: redelivery is skipped', async () => {
    const TOTAL = 2000;
    const db = await createTestDatabase('events_ck');
    cleanups.push(() => db.drop());
    const topics = await createTestTopics(bus, 3);
    cleanups.push(() => topics.remove());
    await enqueueEvents(db, topics.topic, TOTAL, 20);
    const publisher = bus.publisher();
    const relay = createOutboxRelay({ databaseUrl: db.url, schema: db.schema, publisher });
    cleanups.push(async () => {
      await relay.stop();
      await publisher.disconnect();
    });
    await relay.start();
    await waitFor('outbox published', async () => (await counts(db)).unsent === 0, 30_000, 100);

    const group = uniqueGroup('events-ck');
    const env = childEnv(db, { TOPIC: topics.topic, GROUP: group });
    const first = startChild('consumer-child.ts', { ...env, HANG_AFTER: '500' });
    children.push(first);
    const [, hungEventId] = await first.waitForLine(/^HANG (\S+)$/);
    // Its effect is committed in the database...
    const [effect] = await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM test_effects WHERE event_id = ${hungEventId}`;
    expect(effect!.n).toBe(1);
    await first.kill('SIGKILL');
    // ...but its offset is not, so the restarted consumer gets it again.
    const second = startChild('consumer-child.ts', env);
    children.push(second);
    await waitFor(
      'all events handled',
      async () => (await counts(db)).distinct_events >= TOTAL,
      90_000,
      200,
    );
    await second.waitForLine(new RegExp(`^DUP ${hungEventId}$`), 10_000);
    await new Promise((r) => setTimeout(r, 300));

    expect(await counts(db)).toEqual({
      effects: TOTAL,
      distinct_events: TOTAL,
      unsent: 0,
      out_of_order: 0,
    });
    const [inbox] = await db.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM inbox_events`;
    expect(inbox!.n).toBe(TOTAL);
    await second.kill('SIGTERM');
  });

  it('two relays on one schema: only the leader publishes, the other takes over when it stops', async () => {
    const db = await createTestDatabase('events_le');
    cleanups.push(() => db.drop());
    const topics = await createTestTopics(bus, 3);
    cleanups.push(() => topics.remove());
    const publisher = bus.publisher();
    cleanups.push(() => publisher.disconnect());
    const relay = () =>
      createOutboxRelay({ databaseUrl: db.url, schema: db.schema, publisher, leaderRetryMs: 200 });
    const a = relay();
    const b = relay();
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
    await a.start();
    await waitFor('a leads', async () => a.isLeader(), 10_000, 20);
    await b.start();
    await enqueueEvents(db, topics.topic, 1000, 10);
    await waitFor('published', async () => (await counts(db)).unsent === 0, 30_000, 50);
    expect([a.stats.published, b.stats.published, b.isLeader()]).toEqual([1000, 0, false]);

    await a.stop();
    await enqueueEvents(db, topics.topic, 500, 10);
    await waitFor('b took over', async () => (await counts(db)).unsent === 0, 30_000, 50);
    expect([b.isLeader(), b.stats.published]).toEqual([true, 500]);
    // each event reached Kafka once: nothing was published by both
    const admin = bus.admin();
    const inTopic = (await admin.groupLag(uniqueGroup('events-le-probe'), [topics.topic])).reduce(
      (sum, p) => sum + p.lag,
      0,
    );
    await admin.disconnect();
    expect(inTopic).toBe(1500);
  });
});
