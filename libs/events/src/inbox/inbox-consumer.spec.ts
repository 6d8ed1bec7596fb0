// Unit tests of the inbox consumer's control flow against an in-memory port and database
// (the real thing is proven in libs/events/test/*.int-spec.ts).
import { toCloudEventHeaders } from '../cloudevents';
import type {
  BatchControl,
  ConsumedBatch,
  ConsumedMessage,
  EventBus,
  EventConsumer,
  OutgoingMessage,
} from '../port';
import type { RawSqlClient, TransactionalClient } from '../sql-client';
import { createInboxConsumer, DLQ_HEADERS } from './inbox-consumer';

/** A database with transactions: statements apply on commit only. */
class FakeDb implements TransactionalClient<FakeTx> {
  inbox = new Set<string>();
  effects: string[] = [];
  deadLetters: string[] = [];
  log: string[] = [];
  async $transaction<R>(fn: (tx: FakeTx) => Promise<R>): Promise<R> {
    const tx = new FakeTx(this);
    const result = await fn(tx);
    tx.commit();
    this.log.push('commit');
    return result;
  }
  async $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number> {
    const tx = new FakeTx(this);
    const n = await tx.$executeRaw(query, ...values);
    tx.commit();
    return n;
  }
  async $queryRaw<T>(): Promise<T> {
    throw new Error('not used');
  }
}

class FakeTx implements RawSqlClient {
  private readonly inbox: string[] = [];
  readonly effects: string[] = [];
  private readonly deadLetters: string[] = [];
  constructor(private readonly db: FakeDb) {}
  async $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number> {
    const sql = query.join('?');
    if (sql.includes('INSERT INTO inbox_events')) {
      const key = `${String(values[0])}/${String(values[1])}`;
      if (this.db.inbox.has(key) || this.inbox.includes(key)) return 0;
      this.inbox.push(key);
      return 1;
    }
    if (sql.includes('INSERT INTO dead_letter_events')) {
      this.deadLetters.push(String(values[8]));
      return 1;
    }
    throw new Error(`unexpected SQL ${sql}`);
  }
  async $queryRaw<T>(query: TemplateStringsArray, ...values: unknown[]): Promise<T> {
    const sql = query.join('?');
    if (!sql.includes('INSERT INTO inbox_events')) throw new Error(`unexpected SQL ${sql}`);
    const group = String(values[0]);
    const rows: { event_id: string }[] = [];
    for (const id of values[1] as string[]) {
      const key = `${group}/${id}`;
      if (this.db.inbox.has(key) || this.inbox.includes(key)) continue;
      this.inbox.push(key);
      rows.push({ event_id: id });
    }
    return rows as T;
  }
  commit(): void {
    for (const k of this.inbox) this.db.inbox.add(k);
    this.db.effects.push(...this.effects);
    this.db.deadLetters.push(...this.deadLetters);
  }
}

function fakeBus() {
  const published: OutgoingMessage[] = [];
  let eachBatch: ((b: ConsumedBatch, c: BatchControl) => Promise<void>) | undefined;
  const consumer: EventConsumer = {
    run: async (o) => {
      eachBatch = o.eachBatch;
    },
    stop: async () => undefined,
    lag: async () => [],
  };
  const bus: EventBus = {
    publisher: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      publish: async (m) => void published.push(...m),
    }),
    consumer: () => consumer,
    admin: () => {
      throw new Error('not used');
    },
  };
  return {
    bus,
    published,
    deliver: async (batch: ConsumedBatch, log: string[]) => {
      const control: BatchControl = {
        markDone: (offset) => log.push(`done ${offset}`),
        commit: async () => void log.push('offset-commit'),
        heartbeat: async () => undefined,
        isRunning: () => true,
        isStale: () => false,
      };
      await eachBatch!(batch, control);
    },
  };
}

const TYPE = 'uk.nhs.trellis.test.Thing.v1';
function message(offset: number, id = `id-${offset}`): ConsumedMessage {
  return {
    topic: 'trellis.test.thing.v1',
    partition: 0,
    offset: String(offset),
    key: Buffer.from('9990000018'),
    value: Buffer.from(`payload-${offset}`),
    headers: toCloudEventHeaders({
      id,
      source: '/trellis/test',
      type: TYPE,
      time: '2026-11-23T00:00:00Z',
    }),
    timestamp: 0,
  };
}
const batchOf = (messages: ConsumedMessage[]): ConsumedBatch => ({
  topic: 'trellis.test.thing.v1',
  partition: 0,
  highWatermark: String(Number(messages[messages.length - 1]!.offset) + 1),
  messages,
});

function setup(
  handle: (id: string, tx: FakeTx) => Promise<void>,
  opts: { maxBatchSize?: number } = {},
) {
  const db = new FakeDb();
  const bus = fakeBus();
  const consumer = createInboxConsumer({
    bus: bus.bus,
    groupId: 'g1',
    topics: ['trellis.test.thing.v1'],
    prisma: db,
    maxAttempts: 3,
    backoff: { initialMs: 1, maxMs: 2 },
    metrics: false,
    ...opts,
    handle: async (event, tx) => handle(event.id, tx),
  });
  return { db, bus, consumer };
}

describe('createInboxConsumer', () => {
  it.each([1, 100])(
    'handles each event once and commits offsets only after the transaction (batch size %i)',
    async (maxBatchSize) => {
      const { db, bus, consumer } = setup(async (id, tx) => void tx.effects.push(id), {
        maxBatchSize,
      });
      await consumer.start();
      await bus.deliver(batchOf([message(0), message(1)]), db.log);
      // redelivery of both (e.g. after a crash before the offset commit)
      await bus.deliver(batchOf([message(0), message(1), message(2)]), db.log);
      expect(db.effects).toEqual(['id-0', 'id-1', 'id-2']);
      expect(consumer.stats).toMatchObject({ handled: 3, duplicates: 2, deadLettered: 0 });
      const firstDone = db.log.indexOf('done 0');
      expect(db.log.indexOf('commit')).toBeLessThan(firstDone);
      expect(db.log.lastIndexOf('offset-commit')).toBe(db.log.length - 1);
    },
  );

  it('retries a failing handler and rolls back its writes between attempts', async () => {
    let calls = 0;
    const { db, bus, consumer } = setup(async (id, tx) => {
      tx.effects.push(id);
      if (id === 'id-1' && ++calls < 3) throw new Error('transient');
    });
    await consumer.start();
    await bus.deliver(batchOf([message(0), message(1), message(2)]), db.log);
    expect(db.effects).toEqual(['id-0', 'id-1', 'id-2']);
    expect(consumer.stats).toMatchObject({ handled: 3, deadLettered: 0, failedAttempts: 2 });
    expect(calls).toBe(3);
  });

  it('dead-letters after maxAttempts with the error and moves on', async () => {
    const { db, bus, consumer } = setup(async (id, tx) => {
      tx.effects.push(id);
      if (id === 'id-1') throw new Error('bad data');
    });
    await consumer.start();
    await bus.deliver(batchOf([message(0), message(1), message(2)]), db.log);
    expect(db.effects).toEqual(['id-0', 'id-2']);
    expect(db.deadLetters).toEqual(['Error: bad data']);
    expect(bus.published).toHaveLength(1);
    expect(bus.published[0]).toMatchObject({
      topic: 'trellis.test.thing.v1.dlq',
      key: '9990000018',
      headers: {
        ce_id: 'id-1',
        [DLQ_HEADERS.topic]: 'trellis.test.thing.v1',
        [DLQ_HEADERS.partition]: '0',
        [DLQ_HEADERS.offset]: '1',
        [DLQ_HEADERS.attempts]: '3',
        [DLQ_HEADERS.error]: 'Error: bad data',
      },
    });
    expect(db.log.filter((l) => l.startsWith('done'))).toEqual(['done 0', 'done 1', 'done 2']);
    // a redelivery of the dead-lettered event is skipped, not dead-lettered again
    await bus.deliver(batchOf([message(1)]), db.log);
    expect(bus.published).toHaveLength(1);
  });

  it('dead-letters a malformed envelope at once', async () => {
    const { db, bus, consumer } = setup(async (id, tx) => void tx.effects.push(id));
    await consumer.start();
    const bad = { ...message(0), headers: {} };
    await bus.deliver(batchOf([bad, message(1)]), db.log);
    expect(bus.published[0]!.headers[DLQ_HEADERS.attempts]).toBe('1');
    expect(bus.published[0]!.headers[DLQ_HEADERS.error]).toMatch(/^InvalidEventError/);
    expect(db.effects).toEqual(['id-1']);
  });

  describe('partitions handed in together', () => {
    const onPartition = (partition: number, offsets: number[]): ConsumedBatch => ({
      ...batchOf(offsets.map((o) => ({ ...message(o, `p${partition}-${o}`), partition }))),
      partition,
    });

    it('share one transaction, each partition in order', async () => {
      const { db, bus, consumer } = setup(async (id, tx) => void tx.effects.push(id));
      await consumer.start();
      await Promise.all([
        bus.deliver(onPartition(0, [0, 1]), db.log),
        bus.deliver(onPartition(1, [0, 1]), db.log),
      ]);
      expect(db.log.filter((l) => l === 'commit')).toHaveLength(1);
      expect(db.effects).toEqual(['p0-0', 'p0-1', 'p1-0', 'p1-1']);
      expect(consumer.stats).toMatchObject({ handled: 4, failedAttempts: 0 });
    });

    it('share transactions of at most maxBatchSize events: full runs keep their own', async () => {
      const { db, bus, consumer } = setup(async (id, tx) => void tx.effects.push(id), {
        maxBatchSize: 2,
      });
      await consumer.start();
      await Promise.all([
        bus.deliver(onPartition(0, [0, 1]), db.log),
        bus.deliver(onPartition(1, [0]), db.log),
        bus.deliver(onPartition(2, [0]), db.log),
      ]);
      expect(db.log.filter((l) => l === 'commit')).toHaveLength(2);
      expect(db.effects).toEqual(['p0-0', 'p0-1', 'p1-0', 'p2-0']);
    });

    it('after a failure: each partition in its own transaction, only the bad event retried', async () => {
      let calls = 0;
      const { db, bus, consumer } = setup(async (id, tx) => {
        tx.effects.push(id);
        if (id === 'p1-1') throw new Error(`bad data ${++calls}`);
      });
      await consumer.start();
      await Promise.all([
        bus.deliver(onPartition(0, [0, 1]), db.log),
        bus.deliver(onPartition(1, [0, 1, 2]), db.log),
      ]);
      expect(db.effects).toEqual(['p0-0', 'p0-1', 'p1-0', 'p1-2']);
      expect(db.deadLetters).toEqual(['Error: bad data 4']);
      // the shared try is not an attempt: its own transaction's try and two retries are (maxAttempts 3)
      expect(consumer.stats).toMatchObject({ handled: 4, failedAttempts: 3, deadLettered: 1 });
    });
  });

  describe('handleBatch', () => {
    function setupBatch(handle: (ids: string[], tx: FakeTx) => Promise<void>) {
      const db = new FakeDb();
      const bus = fakeBus();
      const calls: string[][] = [];
      const consumer = createInboxConsumer({
        bus: bus.bus,
        groupId: 'g1',
        topics: ['trellis.test.thing.v1'],
        prisma: db,
        maxAttempts: 2,
        backoff: { initialMs: 1, maxMs: 2 },
        metrics: false,
        handleBatch: async (events, tx) => {
          const ids = events.map((e) => e.id);
          calls.push(ids);
          await handle(ids, tx);
        },
      });
      return { db, bus, consumer, calls };
    }

    it('gets the new events of a run in one call, in order, duplicates left out', async () => {
      const { db, bus, consumer, calls } = setupBatch(async (ids, tx) => {
        tx.effects.push(...ids);
      });
      await consumer.start();
      await bus.deliver(batchOf([message(0), message(1)]), db.log);
      await bus.deliver(batchOf([message(0), message(1), message(2), message(3)]), db.log);
      expect(calls).toEqual([
        ['id-0', 'id-1'],
        ['id-2', 'id-3'],
      ]);
      expect(db.effects).toEqual(['id-0', 'id-1', 'id-2', 'id-3']);
      expect(consumer.stats).toMatchObject({ handled: 4, duplicates: 2 });
    });

    it('after a batch failure handles each event alone: only the bad one is dead-lettered', async () => {
      const { db, bus, consumer } = setupBatch(async (ids, tx) => {
        if (ids.includes('id-1')) throw new Error('bad data');
        tx.effects.push(...ids);
      });
      await consumer.start();
      await bus.deliver(batchOf([message(0), message(1), message(2)]), db.log);
      expect(db.effects).toEqual(['id-0', 'id-2']);
      expect(db.deadLetters).toEqual(['Error: bad data']);
      expect(consumer.stats).toMatchObject({ handled: 2, deadLettered: 1, failedAttempts: 2 });
    });

    it('refuses both or neither of handle and handleBatch', () => {
      const db = new FakeDb();
      const base = { bus: fakeBus().bus, groupId: 'g', topics: ['t'], prisma: db };
      expect(() => createInboxConsumer(base)).toThrow(/exactly one/);
      expect(() =>
        createInboxConsumer({
          ...base,
          handle: async () => undefined,
          handleBatch: async () => undefined,
        }),
      ).toThrow(/exactly one/);
    });
  });
});
