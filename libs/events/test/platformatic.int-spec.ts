// The @platformatic/kafka adapter of the events port against the real broker (the candidate that
// replaces kafkajs, which cannot speak to Kafka 4: docs/events.md, "The Kafka client"). The full
// crash proofs run with it against Kafka 4 via TRELLIS_EVENTS_CLIENT=platformatic (docs/events.md);
// this suite keeps the adapter itself covered on every `npm test`: admin calls, keys on the same
// partitions as kafkajs (Java murmur2), order per key, manual commits and lag.
import { uniqueGroupId } from '@trellis/testing';
import { Partitioners } from 'kafkajs';

import {
  createPlatformaticEventBus,
  kafkaConfigFromEnv,
  type BatchControl,
  type ConsumedBatch,
  type EventBus,
} from '../src';
import { createTestTopics } from './support';

const PARTITIONS = 6;
const KEYS = 12;
const PER_KEY = 25;

describe('@platformatic/kafka adapter', () => {
  let bus: EventBus;
  let topics: { topic: string; dlq: string; remove(): Promise<void> };

  beforeAll(async () => {
    bus = createPlatformaticEventBus(kafkaConfigFromEnv(process.env, 'events-platformatic-test'));
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

  it('keeps each key on kafkajs’ partition and in order, commits what was handled, reports no lag', async () => {
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

    const kafkajsPartition = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }));
    expect(total).toBe(KEYS * PER_KEY);
    expect(seen.size).toBe(KEYS);
    for (const [key, list] of seen) {
      expect(list.map((x) => x.n)).toEqual(Array.from({ length: PER_KEY }, (_, i) => i));
      const expected = kafkajsPartition({
        topic: topics.topic,
        partitionMetadata,
        message: { key, value: null },
      });
      expect(new Set(list.map((x) => x.partition))).toEqual(new Set([expected]));
    }
    expect(lag).toHaveLength(PARTITIONS);
    expect(lag.reduce((s, p) => s + p.lag, 0)).toBe(0);

    const admin = bus.admin();
    try {
      expect(await admin.groupLag(groupId, [topics.topic])).toEqual(lag);
      expect(await admin.listGroups!()).toContain(groupId);
    } finally {
      await admin.disconnect();
    }
  });
});
