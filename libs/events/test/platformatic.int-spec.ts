// The @platformatic/kafka adapter of the events port against the real broker (it replaced kafkajs,
// which cannot speak to Kafka 4: docs/events.md, "The Kafka client"). The other suites prove the
// event guarantees through it; this one covers the adapter itself: admin calls, keys on the
// partitions Java clients (and kafkajs before) chose, order per key, manual commits and lag.
import { uniqueGroupId } from '@trellis/testing';

import {
  createEventBus,
  kafkaConfigFromEnv,
  type BatchControl,
  type ConsumedBatch,
  type EventBus,
} from '../src';
import { createTestTopics } from './support';

const PARTITIONS = 6;

/** org.apache.kafka.common.utils.Utils.murmur2, as Java's and kafkajs' default partitioners use it. */
function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length & 3;
  if (rest === 3) h ^= (data[whole + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[whole + 1]! & 0xff) << 8;
  if (rest >= 1) h = Math.imul(h ^ (data[whole]! & 0xff), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The Java client's partition of a keyed record: toPositive(murmur2(key)) % partitions. */
const javaPartition = (key: string, partitions: number): number =>
  (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions;
const KEYS = 12;
const PER_KEY = 25;

describe('@platformatic/kafka adapter', () => {
  let bus: EventBus;
  let topics: { topic: string; dlq: string; remove(): Promise<void> };

  beforeAll(async () => {
    bus = createEventBus(kafkaConfigFromEnv(process.env, 'events-platformatic-test'));
    topics = await createTestTopics(bus, PARTITIONS);
  });

  afterAll(async () => {
    await topics.remove();
  });

  it('describes, alters and grows topics', async () => {
    const admin = bus.admin();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining([topics.topic, topics.dlq]));
      const [before] = await admin.describeTopics([topics.dlq]);
      expect(before).toMatchObject({ name: topics.dlq, partitions: 1 });
      expect(before!.configs['retention.ms']).toBe('3600000');
      await admin.alterTopicConfigs(topics.dlq, { 'retention.ms': '7200000' });
      await admin.increasePartitions(topics.dlq, 2);
      const [after] = await admin.describeTopics([topics.dlq]);
      expect(after).toMatchObject({ partitions: 2 });
      expect(after!.configs['retention.ms']).toBe('7200000');
      expect(after!.configs['cleanup.policy']).toBe('delete');
    } finally {
      await admin.disconnect();
    }
  });

  it('hashes keys as Java does (vectors from Kafka’s UtilsTest)', () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors)
      expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash]);
  });

  it('keeps each key on the Java partition and in order, commits what was handled, reports no lag', async () => {
    const publisher = bus.publisher();
    const messages = Array.from({ length: KEYS * PER_KEY }, (_, i) => ({
      topic: topics.topic,
      key: `999000${String(i % KEYS).padStart(4, '0')}`,
      value: Buffer.from(String(Math.floor(i / KEYS))),
      headers: { ce_id: `id-${i}` },
    }));
    for (let i = 0; i < messages.length; i += 50)
      await publisher.publish(messages.slice(i, i + 50));
    await publisher.disconnect();

    const groupId = uniqueGroupId('trellis.test.platformatic');
    const consumer = bus.consumer({ groupId, concurrency: 3 });
    const seen = new Map<string, { partition: number; n: number }[]>();
    let total = 0;
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (resolveAll = resolve));
    await consumer.run({
      topics: [topics.topic],
      async eachBatch(batch: ConsumedBatch, control: BatchControl) {
        for (const m of batch.messages) {
          const key = Buffer.from(m.key!).toString();
          const list = seen.get(key) ?? [];
          list.push({ partition: m.partition, n: Number(Buffer.from(m.value!).toString()) });
          seen.set(key, list);
          expect(m.headers['ce_id']).toMatch(/^id-\d+$/);
          control.markDone(m.offset);
        }
        await control.commit();
        total += batch.messages.length;
        if (total >= messages.length) resolveAll();
      },
    });
    await all;
    const lag = await consumer.lag();
    await consumer.stop();

    expect(total).toBe(KEYS * PER_KEY);
    expect(seen.size).toBe(KEYS);
    for (const [key, list] of seen) {
      expect(list.map((x) => x.n)).toEqual(Array.from({ length: PER_KEY }, (_, i) => i));
      expect(new Set(list.map((x) => x.partition))).toEqual(
        new Set([javaPartition(key, PARTITIONS)]),
      );
    }
    expect(lag).toHaveLength(PARTITIONS);
    expect(lag.reduce((s, p) => s + p.lag, 0)).toBe(0);

    const admin = bus.admin();
    try {
      expect(await admin.groupLag(groupId, [topics.topic])).toEqual(lag);
      expect(await admin.listGroups!()).toContain(groupId);

      const offsets = await admin.topicOffsets!(topics.topic);
      expect(offsets.map((o) => o.partition)).toEqual([...Array(PARTITIONS).keys()]);
      expect(offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0)).toBe(KEYS * PER_KEY);
      // by time: everything is after the epoch, nothing after an hour from now
      const at = async (ms: number) =>
        (await admin.offsetsAt!(topics.topic, ms)).map((o) => o.offset);
      expect(await at(0)).toEqual(offsets.map((o) => o.low));
      expect(await at(Date.now() + 3_600_000)).toEqual(offsets.map((o) => o.high));
      const rewound = uniqueGroupId('trellis.test.platformatic.rewound');
      await admin.setGroupOffsets!(
        rewound,
        topics.topic,
        offsets.map((o) => ({ partition: o.partition, offset: o.low })),
      );
      const rewoundLag = await admin.groupLag(rewound, [topics.topic]);
      expect(rewoundLag.reduce((s, p) => s + p.lag, 0)).toBe(KEYS * PER_KEY);
      await admin.deleteGroups!([groupId, rewound]);
      const left = await admin.listGroups!();
      expect([left.includes(groupId), left.includes(rewound)]).toEqual([false, false]);
    } finally {
      await admin.disconnect();
    }
  });

  it('rejoins after the client loses its group (a failed rejoin is emitted as an error) and keeps consuming', async () => {
    const publisher = bus.publisher();
    const send = (from: number, count: number) =>
      publisher.publish(
        Array.from({ length: count }, (_, i) => ({
          topic: topics.dlq,
          key: `k${from + i}`,
          value: Buffer.from(String(from + i)),
          headers: {},
        })),
      );
    const consumer = bus.consumer({ groupId: uniqueGroupId('trellis.test.platformatic.heal') });
    const seen = new Set<number>();
    let waiter: { until: number; resolve: () => void } | undefined;
    const seenAll = (until: number) =>
      new Promise<void>((resolve) => {
        waiter = { until, resolve };
        if ([...Array(until).keys()].every((n) => seen.has(n))) resolve();
      });
    try {
      await consumer.run({
        topics: [topics.dlq],
        async eachBatch(batch, control) {
          for (const m of batch.messages) {
            seen.add(Number(Buffer.from(m.value!).toString()));
            control.markDone(m.offset);
          }
          await control.commit();
          const w = waiter;
          if (w && [...Array(w.until).keys()].every((n) => seen.has(n))) w.resolve();
        },
      });
      await send(0, 10);
      await seenAll(10);
      // What the client does when a rejoin after a dropped connection fails: with no listener
      // this emit throws (and, from a socket callback, takes the process down).
      const client = (consumer as unknown as { consumer: NodeJS.EventEmitter }).consumer;
      client.emit('error', new Error('Connection closed'));
      await send(10, 10);
      await seenAll(20);
      expect((consumer as unknown as { consumer: unknown }).consumer).not.toBe(client);
    } finally {
      await consumer.stop();
      await publisher.disconnect();
    }
  });
});
