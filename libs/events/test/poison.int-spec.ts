// Proof: a poison message (its handler always fails) and a malformed one (no CloudEvents headers)
// land on <topic>.dlq with their error and original position, while the messages after them on
// the same partition keep being handled.
import {
  createInboxConsumer,
  createOutbox,
  createOutboxRelay,
  DLQ_HEADERS,
  stringHeaders,
  type ConsumedMessage,
  type EventBus,
  type EventConsumer,
  type EventPublisher,
  type InboxConsumer,
  type OutboxRelay,
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
} from './support';

describe('poison messages', () => {
  let db: TestDatabase;
  let bus: EventBus;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let publisher: EventPublisher;
  let relay: OutboxRelay;
  let consumer: InboxConsumer;
  let dlqReader: EventConsumer | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('events_pm');
    bus = testBus('events-poison');
    topics = await createTestTopics(bus, 1);
  });

  afterAll(async () => {
    await dlqReader?.stop();
    await consumer?.stop();
    await relay?.stop();
    await publisher?.disconnect();
    await topics?.remove();
    await db?.drop();
  });

  it('dead-letters after maxAttempts with the error, and the partition keeps flowing', async () => {
    const Happened = testEventType(topics.topic);
    const outbox = createOutbox({ source: '/trellis/events-test' });
    const [key] = testNhsNumbers(1);
    const event = (n: number, note = '') =>
      Happened.occurrence({ nhsNumber: key!, n, note, sentAtMs: Date.now() }, { key: key! });

    const group = uniqueGroup('events-pm');
    const attemptsSeen = new Map<string, number>();
    consumer = createInboxConsumer({
      bus,
      groupId: group,
      topics: [topics.topic],
      prisma: db.client(),
      maxAttempts: 3,
      backoff: { initialMs: 20, maxMs: 100 },
      handle: async (e, tx) => {
        const data = e.decode(Happened);
        // The write happens first, so a failure must roll it back.
        await tx.$executeRaw`
          INSERT INTO test_effects (event_id, key, n, partition, "offset", pid)
          VALUES (${e.id}, ${data.nhsNumber}, ${data.n}, ${e.partition}, ${e.offset}::bigint, ${process.pid})`;
        if (data.note === 'poison') {
          attemptsSeen.set(e.id, (attemptsSeen.get(e.id) ?? 0) + 1);
          throw new Error(`refusing poison n=${data.n}`);
        }
      },
    });
    await consumer.start();

    // good 1..4, poison 5, good 6..9 through the outbox
    const ids: string[] = [];
    await db.prisma.$transaction(async (tx) => {
      for (let n = 1; n <= 9; n++)
        ids.push(await outbox.enqueue(tx, event(n, n === 5 ? 'poison' : '')));
    });
    publisher = bus.publisher();
    relay = createOutboxRelay({ databaseUrl: db.url, schema: db.schema, publisher });
    await relay.start();
    await waitFor('outbox published', async () => (await relay.lag()).unsent === 0, 30_000, 50);
    // a malformed message (no CloudEvents headers) straight onto the topic
    await publisher.publish([
      { topic: topics.topic, key: key!, value: Buffer.from('not protobuf'), headers: {} },
    ]);
    // good 10..11 after it
    await db.prisma.$transaction(async (tx) => {
      ids.push(await outbox.enqueue(tx, event(10)));
      ids.push(await outbox.enqueue(tx, event(11)));
    });

    await waitFor('good events handled', async () => {
      const [row] = await db.prisma.$queryRaw<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM test_effects`;
      return row!.n >= 10;
    });
    await waitFor('two dead letters', async () => consumer.stats.deadLettered >= 2, 10_000, 50);

    const effects = await db.prisma.$queryRaw<
      { n: number }[]
    >`SELECT n FROM test_effects ORDER BY id`;
    expect(effects.map((e) => e.n)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    expect(attemptsSeen.get(ids[4]!)).toBe(3);

    // The dead-letter topic holds both, with their error and original position.
    const dlq: ConsumedMessage[] = [];
    dlqReader = bus.consumer({ groupId: uniqueGroup('events-dlq-reader'), fromBeginning: true });
    await dlqReader.run({
      topics: [topics.dlq],
      eachBatch: async (batch) => {
        dlq.push(...batch.messages);
      },
    });
    await waitFor('DLQ messages', async () => dlq.length >= 2, 20_000, 50);
    const [poison, malformed] = dlq.map((m) => stringHeaders(m.headers));
    expect(poison).toMatchObject({
      ce_id: ids[4],
      ce_type: 'uk.nhs.trellis.test.TestHappened.v1',
      [DLQ_HEADERS.topic]: topics.topic,
      [DLQ_HEADERS.partition]: '0',
      [DLQ_HEADERS.offset]: '4',
      [DLQ_HEADERS.attempts]: '3',
      [DLQ_HEADERS.group]: group,
    });
    expect(poison![DLQ_HEADERS.error]).toBe('Error: refusing poison n=5');
    expect(Happened.decode(dlq[0]!.value!).n).toBe(5);
    expect(malformed).toMatchObject({ [DLQ_HEADERS.offset]: '9', [DLQ_HEADERS.attempts]: '1' });
    expect(malformed![DLQ_HEADERS.error]).toMatch(
      /^InvalidEventError: invalid CloudEvent: missing header ce_specversion/,
    );
    expect(Buffer.from(dlq[1]!.value!).toString()).toBe('not protobuf');

    const dead = await db.prisma.$queryRaw<
      { offset: bigint; attempts: number; error: string; event_id: string | null }[]
    >`
      SELECT "offset", attempts, error, event_id FROM dead_letter_events ORDER BY "offset"`;
    expect(dead.map((d) => [Number(d.offset), d.attempts, d.event_id])).toEqual([
      [4, 3, ids[4]],
      [9, 1, null],
    ]);

    // Committed offset reached the end of the partition: nothing stuck behind the poison.
    await waitFor(
      'lag 0',
      async () => (await consumer.lag()).every((p) => p.lag === 0),
      10_000,
      100,
    );
    expect(consumer.stats).toMatchObject({ handled: 10, deadLettered: 2 });
  });
});
