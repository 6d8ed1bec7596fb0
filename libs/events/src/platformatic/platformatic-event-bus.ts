import {
  Admin,
  Consumer,
  Producer,
  compatibilityPartitioner,
  type Message,
  type MessagesStream,
  type SASLMechanismValue,
} from '@platformatic/kafka';
import { kafkaConfigSchema, type KafkaConfig } from '../config';
import { silentLogger, type EventsLogger } from '../logger';
import type {
  BatchControl,
  ConsumedBatch,
  ConsumedMessage,
  ConsumerOptions,
  EventAdmin,
  EventBus,
  EventConsumer,
  EventPublisher,
  OutgoingMessage,
  PartitionLag,
  PublisherOptions,
  TopicPartitionOffsets,
  TopicState,
} from '../port';
import { topicConfigEntries, type TopicSpec } from '../topics';

/** @platformatic/kafka implementation of the events port (Kafka 3.x and 4.x). */
export function createPlatformaticEventBus(
  config: KafkaConfig,
  options: { logger?: EventsLogger } = {},
): EventBus {
  const cfg = kafkaConfigSchema.parse(config);
  const logger = options.logger ?? silentLogger;
  const base = {
    clientId: cfg.clientId,
    bootstrapBrokers: cfg.brokers,
    connectTimeout: cfg.connectionTimeoutMs,
    timeout: cfg.requestTimeoutMs,
    retries: 5,
    retryDelay: 200,
    ...(cfg.ssl ? { tls: {} } : {}),
    ...(cfg.sasl
      ? {
          sasl: {
            mechanism: cfg.sasl.mechanism.toUpperCase() as SASLMechanismValue,
            username: cfg.sasl.username,
            password: cfg.sasl.password,
          },
        }
      : {}),
  };
  return {
    publisher: (opts) => new PlatformaticPublisher(base, opts ?? {}),
    consumer: (opts) => new PlatformaticConsumer(base, opts, logger),
    admin: () => new PlatformaticAdmin(base),
  };
}

type Base = ConstructorParameters<typeof Admin>[0];

const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

class PlatformaticPublisher implements EventPublisher {
  private producer: Producer | undefined;

  constructor(
    private readonly base: Base,
    private readonly opts: PublisherOptions,
  ) {}

  async connect(): Promise<void> {
    this.producer ??= new Producer({
      ...this.base,
      idempotent: this.opts.idempotent ?? true,
      acks: -1,
      autocreateTopics: false,
      // Java's murmur2 (as kafkajs' DefaultPartitioner): a key keeps its partition across clients.
      partitioner: compatibilityPartitioner,
    });
    await this.producer.metadata({ topics: [] });
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    await this.producer!.send({
      messages: messages.map((m) => ({
        topic: m.topic,
        ...(m.key === null ? {} : { key: Buffer.from(m.key) }),
        value: toBuffer(m.value),
        headers: new Map(
          Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
        ),
      })),
    });
  }

  async disconnect(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.close();
  }
}

/** True when `error` (or one it wraps) is the broker's error `apiId`, e.g. TOPIC_ALREADY_EXISTS. */
function hasKafkaError(error: unknown, apiId: string): boolean {
  const e = error as { findBy?: (property: string, value: unknown) => unknown } | null;
  return typeof e?.findBy === 'function' && e.findBy('apiId', apiId) !== undefined;
}

const partKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

class PlatformaticConsumer implements EventConsumer {
  private consumer: Consumer | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private topics: readonly string[] = [];
  private running = false;
  private generation = 0;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly base: Base,
    private readonly opts: ConsumerOptions,
    private readonly logger: EventsLogger,
  ) {}

  async run(options: {
    topics: readonly string[];
    eachBatch(batch: ConsumedBatch, control: BatchControl): Promise<void>;
  }): Promise<void> {
    this.topics = options.topics;
    const consumer = new Consumer({
      ...this.base,
      groupId: this.opts.groupId,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      autocommit: false,
      maxWaitTime: 500,
    });
    this.consumer = consumer;
    consumer.on('consumer:group:rebalance', () => {
      this.generation++;
    });
    this.stream = await consumer.consume({
      topics: [...options.topics],
      mode: 'committed',
      fallbackMode: this.opts.fromBeginning === false ? 'latest' : 'earliest',
      autocommit: false,
    });
    this.running = true;
    this.stream.on('error', (err: Error) =>
      this.logger.error({ groupId: this.opts.groupId, err }, 'consumer stream failed'),
    );
    this.loop = this.consume(this.stream, options.eachBatch);
  }

  /** Takes what the stream delivered so far, groups it by partition, one batch per partition. */
  private async consume(
    stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>,
    eachBatch: (batch: ConsumedBatch, control: BatchControl) => Promise<void>,
  ): Promise<void> {
    const concurrency = this.opts.concurrency ?? 1;
    type Msg = Message<Buffer, Buffer, Buffer, Buffer>;
    let queue: Msg[] = [];
    let wake: (() => void) | undefined;
    stream.on('data', (m: Msg) => {
      queue.push(m);
      if (queue.length >= 5_000) stream.pause();
      wake?.();
    });
    const ended = (): void => {
      this.running = false;
      wake?.();
    };
    stream.once('close', ended);
    stream.once('end', ended);
    while (this.running) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const taken = queue;
      queue = [];
      if (stream.isPaused()) stream.resume();
      const byPartition = new Map<string, Msg[]>();
      for (const m of taken) {
        const key = partKey(m.topic, m.partition);
        let list = byPartition.get(key);
        if (!list) byPartition.set(key, (list = []));
        list.push(m);
      }
      const batches = [...byPartition.values()];
      const generation = this.generation;
      for (let i = 0; i < batches.length; i += concurrency) {
        await Promise.all(
          batches.slice(i, i + concurrency).map((b) => this.runBatch(b, generation, eachBatch)),
        );
      }
    }
  }

  private async runBatch(
    messages: Message<Buffer, Buffer, Buffer, Buffer>[],
    generation: number,
    eachBatch: (batch: ConsumedBatch, control: BatchControl) => Promise<void>,
  ): Promise<void> {
    const { topic, partition } = messages[0]!;
    let lastDone: Message<Buffer, Buffer, Buffer, Buffer> | undefined;
    let committed: Message<Buffer, Buffer, Buffer, Buffer> | undefined;
    const byOffset = new Map(messages.map((m) => [m.offset.toString(), m]));
    const control: BatchControl = {
      markDone: (offset) => {
        lastDone = byOffset.get(offset) ?? lastDone;
      },
      commit: async () => {
        if (!lastDone || lastDone === committed) return;
        await lastDone.commit();
        committed = lastDone;
      },
      heartbeat: async () => undefined,
      isRunning: () => this.running,
      isStale: () =>
        this.generation !== generation &&
        !(this.consumer?.assignments ?? []).some(
          (a) => a.topic === topic && a.partitions.includes(partition),
        ),
    };
    const consumed: ConsumedMessage[] = messages.map((m) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
      return {
        topic,
        partition,
        offset: m.offset.toString(),
        key: m.key ?? null,
        value: m.value ?? null,
        headers,
        timestamp: Number(m.timestamp),
      };
    });
    await eachBatch(
      {
        topic,
        partition,
        highWatermark: (messages[messages.length - 1]!.offset + 1n).toString(),
        messages: consumed,
      },
      control,
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stream?.emit('end');
    await this.stream?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    await this.consumer?.close(true).catch(() => undefined);
  }

  async lag(): Promise<PartitionLag[]> {
    const admin = new PlatformaticAdmin(this.base);
    try {
      return await admin.groupLag(this.opts.groupId, this.topics);
    } finally {
      await admin.disconnect();
    }
  }
}

class PlatformaticAdmin implements EventAdmin {
  private admin: Admin | undefined;

  constructor(private readonly base: Base) {}

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
