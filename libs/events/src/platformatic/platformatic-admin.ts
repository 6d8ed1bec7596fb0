import { Admin } from '@platformatic/kafka';
import type { EventAdmin, PartitionLag, TopicPartitionOffsets, TopicState } from '../port';
import { topicConfigEntries, type TopicSpec } from '../topics';

/** Connection settings every @platformatic/kafka client of one bus shares. */
export type KafkaBase = ConstructorParameters<typeof Admin>[0];

/** True when `error` (or one it wraps) is the broker's error `apiId`, e.g. TOPIC_ALREADY_EXISTS. */
function hasKafkaError(error: unknown, apiId: string): boolean {
  const e = error as { findBy?: (property: string, value: unknown) => unknown } | null;
  return typeof e?.findBy === 'function' && e.findBy('apiId', apiId) !== undefined;
}

export class PlatformaticAdmin implements EventAdmin {
  private admin: Admin | undefined;

  constructor(private readonly base: KafkaBase) {}

  private get client(): Admin {
    this.admin ??= new Admin(this.base);
    return this.admin;
  }

  async connect(): Promise<void> {
    await this.client.metadata({ topics: [] });
  }

  async disconnect(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    await a?.close();
  }

  listTopics(): Promise<string[]> {
    return this.client.listTopics();
  }

  async describeTopics(names: readonly string[]): Promise<TopicState[]> {
    if (names.length === 0) return [];
    const meta = await this.client.metadata({ topics: [...names], forceUpdate: true });
    const configs = await this.client.describeConfigs({
      resources: names.map((name) => ({ resourceType: 2, resourceName: name })),
    });
    return names.map((name) => {
      const entries: Record<string, string> = {};
      for (const e of configs.find((c) => c.resourceName === name)?.configs ?? []) {
        if (typeof e.value === 'string') entries[e.name] = e.value;
      }
      return { name, partitions: meta.topics.get(name)?.partitionsCount ?? 0, configs: entries };
    });
  }

  async createTopics(
    topics: readonly TopicSpec[],
    options: { replicationFactor?: number } = {},
  ): Promise<void> {
    for (const t of topics) {
      // An existing topic is left as it is (as kafkajs did): provisioning compares and alters.
      await this.client
        .createTopics({
          topics: [t.name],
          partitions: t.partitions,
          replicas: options.replicationFactor ?? 1,
          configs: topicConfigEntries(t).map((e) => ({ name: e.name, value: e.value })),
        })
        .catch((e: unknown) => {
          if (!hasKafkaError(e, 'TOPIC_ALREADY_EXISTS')) throw e;
        });
    }
    await this.waitForLeaders(topics.map((t) => t.name));
  }

  /** As kafkajs' waitForLeaders: the topics are usable (every partition led) when this returns. */
  private async waitForLeaders(names: readonly string[], timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const meta = await this.client.metadata({ topics: [...names], forceUpdate: true });
        const ready = names.every((n) => {
          const t = meta.topics.get(n);
          return t !== undefined && t.partitions.every((p) => p.leader >= 0);
        });
        if (ready) return;
      } catch (e) {
        if (Date.now() >= deadline) throw e;
      }
      if (Date.now() >= deadline) throw new Error(`topics without leaders: ${names.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async increasePartitions(topic: string, count: number): Promise<void> {
    await this.client.createPartitions({ topics: [{ name: topic, count, assignments: null }] });
  }

  async alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    await this.client.incrementalAlterConfigs({
      resources: [
        {
          resourceType: 2,
          resourceName: topic,
          configs: Object.entries(configs).map(([name, value]) => ({
            name,
            value,
            configOperation: 0,
          })),
        },
      ],
    });
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.client.deleteTopics({ topics: [...names] });
  }

  private async partitionOffsets(topic: string, timestamp: bigint): Promise<Map<number, bigint>> {
    const meta = await this.client.metadata({ topics: [topic], forceUpdate: true });
    const partitions = [...Array(meta.topics.get(topic)?.partitionsCount ?? 0).keys()];
    const [listed] = await this.client.listOffsets({
      topics: [
        {
          name: topic,
          partitions: partitions.map((partitionIndex) => ({
            partitionIndex,
            timestamp,
            currentLeaderEpoch: -1,
          })),
        },
      ],
    });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  }

  async topicOffsets(topic: string): Promise<TopicPartitionOffsets[]> {
    const [high, low] = await Promise.all([
      this.partitionOffsets(topic, -1n),
      this.partitionOffsets(topic, -2n),
    ]);
    return [...high]
      .map(([partition, h]) => ({
        partition,
        low: (low.get(partition) ?? 0n).toString(),
        high: h.toString(),
      }))
      .sort((a, b) => a.partition - b.partition);
  }

  async offsetsAt(
    topic: string,
    timestampMs: number,
  ): Promise<{ partition: number; offset: string }[]> {
    const [at, high] = await Promise.all([
      this.partitionOffsets(topic, BigInt(timestampMs)),
      this.partitionOffsets(topic, -1n),
    ]);
    return [...high]
      .map(([partition, h]) => {
        const o = at.get(partition);
        return { partition, offset: (o === undefined || o < 0n ? h : o).toString() };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  async setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void> {
    await this.client.alterConsumerGroupOffsets({
      groupId,
      topics: [
        {
          name: topic,
          partitionOffsets: offsets.map((o) => ({
            partition: o.partition,
            offset: BigInt(o.offset),
          })),
        },
      ],
    });
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    await this.client.deleteGroups({ groups: [...groupIds] });
  }

  async listGroups(): Promise<string[]> {
    return [...(await this.client.listGroups()).keys()].sort();
  }

  async groupLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    if (topics.length === 0) return [];
    const meta = await this.client.metadata({ topics: [...topics], forceUpdate: true });
    const [group] = await this.client.listConsumerGroupOffsets({
      groups: [
        {
          groupId,
          topics: topics.map((name) => ({
            name,
            partitionIndexes: [...Array(meta.topics.get(name)?.partitionsCount ?? 0).keys()],
          })),
        },
      ],
    });
    const out: PartitionLag[] = [];
    for (const topic of topics) {
      const [high, low] = await Promise.all([
        this.partitionOffsets(topic, -1n),
        this.partitionOffsets(topic, -2n),
      ]);
      const offsets = group?.topics.find((x) => x.name === topic)?.partitions;
      for (const [partition, h] of high) {
        const committed =
          offsets?.find((x) => x.partitionIndex === partition)?.committedOffset ?? -1n;
        const from = committed >= 0n ? committed : (low.get(partition) ?? 0n);
        out.push({
          topic,
          partition,
          committed: committed.toString(),
          highWatermark: h.toString(),
          lag: Number(h - from),
        });
      }
    }
    return out;
  }
}
