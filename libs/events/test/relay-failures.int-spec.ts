// Proof: a topic the relay cannot publish to (here: never provisioned, and the broker does not
// auto-create) is set aside with backoff and its rows keep their error, while another topic in
// the same outbox keeps flowing; once the topic exists, its events go out in order.
import { createOutbox, createOutboxRelay, type EventBus, type OutboxRelay } from '../src';
import {
  createTestDatabase,
  createTestTopics,
  testBus,
  testEventType,
  testNhsNumbers,
  waitFor,
  type TestDatabase,
} from './support';

describe('relay failure isolation', () => {
  let db: TestDatabase;
  let bus: EventBus;
  let good: Awaited<ReturnType<typeof createTestTopics>>;
  let relay: OutboxRelay;
  const missing = `${'trellis.test.events'}.missing${Date.now().toString(36)}`;

  beforeAll(async () => {
    db = await createTestDatabase('events_rf');
    bus = testBus('events-relay-failures');
    good = await createTestTopics(bus, 1);
  });

  afterAll(async () => {
    await relay?.stop();
    const admin = bus.admin();
    await admin.deleteTopics([missing]).catch(() => undefined);
    await admin.disconnect();
    await good?.remove();
    await db?.drop();
  });

  it('keeps other topics flowing while one topic fails, then catches up in order', async () => {
    const outbox = createOutbox({ source: '/trellis/events-test' });
    const Good = testEventType(good.topic);
    const Bad = testEventType(missing);
    const [key] = testNhsNumbers(1);
    const ev = (t: typeof Good, n: number) =>
      t.occurrence({ nhsNumber: key!, n, note: '', sentAtMs: Date.now() }, { key: key! });
    // interleaved: bad, good, bad, good, ...
    await db.prisma.$transaction(async (tx) => {
      for (let n = 1; n <= 5; n++) {
        await outbox.enqueue(tx, ev(Bad, n));
        await outbox.enqueue(tx, ev(Good, n));
      }
    });
    const publisher = bus.publisher();
    relay = createOutboxRelay({
      databaseUrl: db.url,
      schema: db.schema,
      publisher,
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    await relay.start();

    const unsentOf = async (topic: string) => {
      const [row] = await db.prisma.$queryRaw<{ n: number; errors: number }[]>`
        SELECT count(*) FILTER (WHERE sent_at IS NULL)::int AS n,
               count(*) FILTER (WHERE last_error IS NOT NULL)::int AS errors
          FROM outbox_events WHERE topic = ${topic}`;
      return row!;
    };
    await waitFor(
      'good topic published',
      async () => (await unsentOf(good.topic)).n === 0,
      60_000,
      100,
    );
    await waitFor(
      'bad topic failure recorded',
      async () => (await unsentOf(missing)).errors === 5,
      60_000,
      100,
    );
    expect(await unsentOf(missing)).toEqual({ n: 5, errors: 5 });
    expect(relay.stats.failedPublishes).toBeGreaterThanOrEqual(1);

    // provision the topic: the relay's next retry publishes the held-back events, in order
    const admin = bus.admin();
    await admin.createTopics([
      {
        name: missing,
        partitions: 1,
        retentionMs: 3_600_000,
        cleanupPolicy: 'delete',
        description: 'late',
      },
    ]);
    await admin.disconnect();
    await waitFor(
      'bad topic published',
      async () => (await unsentOf(missing)).n === 0,
      60_000,
      100,
    );
    const seqs = await db.prisma.$queryRaw<{ seq: bigint }[]>`
      SELECT seq FROM outbox_events WHERE topic = ${missing} ORDER BY sent_at, seq`;
    const ordered = seqs.map((r) => Number(r.seq));
    expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
    await publisher.disconnect();
  });
});
