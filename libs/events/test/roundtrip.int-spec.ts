// Proof: 10,000 events across several keys go outbox → relay → Kafka → inbox consumer; every event
// is handled exactly once in effect and each key's events are handled in the order they were written.
import {
  createInboxConsumer,
  createOutbox,
  createOutboxRelay,
  on,
  routeEvents,
  type EventBus,
  type InboxConsumer,
  type OutboxRelay,
  type EventPublisher,
  type OutboxEventInput,
} from '../src';
import {
  createTestDatabase,
  createTestTopics,
  testBus,
  testEventType,
  testNhsNumbers,
  uniqueGroup,
  waitFor,
  type TestDatabase,
  type TestTx,
} from './support';

const TOTAL = 10_000;
const KEYS = 40;
const PARTITIONS = 6;

describe('outbox → Kafka → inbox round trip', () => {
  let db: TestDatabase;
  let bus: EventBus;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let publisher: EventPublisher;
  let relay: OutboxRelay;
  let consumer: InboxConsumer;

  beforeAll(async () => {
    db = await createTestDatabase('events_rt');
    bus = testBus('events-roundtrip');
    topics = await createTestTopics(bus, PARTITIONS);
  });

  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await publisher?.disconnect();
    await topics?.remove();
    if (!process.env.KEEP_SCHEMA) await db?.drop();
    else console.log('kept schema', db.schema);
  });

  it(`delivers ${TOTAL} events exactly once in effect, in order per key`, async () => {
    const Happened = testEventType(topics.topic);
    const outbox = createOutbox({ source: '/trellis/events-test' });
    const keys = testNhsNumbers(KEYS);
    const nextN = new Map<string, number>();
    const occurrence = (i: number) => {
      const key = keys[i % KEYS]!;
      const n = (nextN.get(key) ?? 0) + 1;
      nextN.set(key, n);
      return Happened.occurrence(
        { nhsNumber: key, n, note: `event ${i}`, sentAtMs: Date.now() },
        {
          key,
          subject: key,
          odsCode: 'A81001',
          region: 'north-east',
          regions: ['north-east', 'london'],
        },
      );
    };

    // Writers: a few single enqueues in interactive transactions, the rest in batches.
    let i = 0;
    for (; i < 200; i++) {
      const event = occurrence(i);
      await db.prisma.$transaction(async (tx) => {
        await outbox.enqueue(tx, event);
      });
    }
    while (i < TOTAL) {
      const batch: OutboxEventInput[] = [];
      for (let k = 0; k < 500 && i < TOTAL; k++, i++) batch.push(occurrence(i));
      await db.prisma.$transaction(async (tx) => {
        await outbox.enqueueMany(tx, batch);
      });
    }

    const handled: Array<{ key: string; n: number; id: string }> = [];
    consumer = createInboxConsumer({
      bus,
      groupId: uniqueGroup('events-rt'),
      topics: [topics.topic],
      prisma: db.client(),
      concurrency: PARTITIONS,
      handle: routeEvents<TestTx>(
        [
          on(Happened, async (data, event, tx) => {
            expect(event.key).toBe(data.nhsNumber);
            expect(event.source).toBe('/trellis/events-test');
            expect(event.regions).toEqual(['north-east', 'london']);
            await tx.$executeRaw`
              INSERT INTO test_effects (event_id, key, n, partition, "offset", pid)
              VALUES (${event.id}, ${data.nhsNumber}, ${data.n}, ${event.partition},
                      ${event.offset}::bigint, ${process.pid})`;
            handled.push({ key: data.nhsNumber, n: data.n, id: event.id });
          }),
        ],
        { onUnknown: 'fail' },
      ),
    });
    await consumer.start();

    publisher = bus.publisher();
    relay = createOutboxRelay({
      databaseUrl: db.url,
      schema: db.schema,
      publisher,
      batchSize: 1000,
    });
    const started = Date.now();
    await relay.start();
    let relayDoneAt = 0;
    void waitFor('relay done', async () => (await relay.lag()).unsent === 0, 90_000, 20).then(
      () => (relayDoneAt = Date.now()),
      () => undefined,
    );

    await waitFor(
      `${TOTAL} events handled`,
      async () => {
        const [row] = await db.prisma.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM test_effects`;
        return (row?.n ?? 0) >= TOTAL;
      },
      90_000,
      200,
    );
    const seconds = (Date.now() - started) / 1000;
    // Give a redelivery bug the chance to show up before counting.
    await new Promise((r) => setTimeout(r, 500));

    const [counts] = await db.prisma.$queryRaw<
      { effects: number; distinct_events: number; inbox: number; unsent: number }[]
    >`
      SELECT (SELECT count(*)::int FROM test_effects) AS effects,
             (SELECT count(DISTINCT event_id)::int FROM test_effects) AS distinct_events,
             (SELECT count(*)::int FROM inbox_events) AS inbox,
             (SELECT count(*)::int FROM outbox_events WHERE sent_at IS NULL) AS unsent`;
    expect(counts).toEqual({ effects: TOTAL, distinct_events: TOTAL, inbox: TOTAL, unsent: 0 });

    // Per-key order: in handling order (test_effects.id), n runs 1, 2, 3, ... for every key.
    const outOfOrder = await db.prisma.$queryRaw<{ key: string }[]>`
      SELECT key FROM (
        SELECT key, n, row_number() OVER (PARTITION BY key ORDER BY id) AS pos FROM test_effects
      ) t WHERE n <> pos LIMIT 5`;
    expect(outOfOrder).toEqual([]);
    expect(new Set(handled.map((h) => h.key)).size).toBe(KEYS);
    expect(consumer.stats).toMatchObject({ handled: TOTAL, deadLettered: 0 });
    expect(await relay.lag()).toEqual({ unsent: 0, oldestAgeMs: null });
    const lag = await consumer.lag();
    expect(lag.reduce((sum, p) => sum + p.lag, 0)).toBe(0);
    console.log(
      `round trip: ${TOTAL} events in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)} events/s end to end; relay done after ${((relayDoneAt - started) / 1000).toFixed(1)} s)`,
    );
  });
});
