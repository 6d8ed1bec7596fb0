import {
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Message,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
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
  TopicState,
} from '../port';
import { topicConfigEntries, type TopicSpec } from '../topics';

export interface KafkajsEventBusOptions {
  logger?: EventsLogger;
  /** How long run() waits for the first group join (default 30 s). */
  joinTimeoutMs?: number;
}

/** kafkajs 2.2.4 implementation of the events port. */
export function createKafkajsEventBus(
  config: KafkaConfig,
  options: KafkajsEventBusOptions = {},
): EventBus {
  const cfg = kafkaConfigSchema.parse(config);
  const logger = options.logger ?? silentLogger;
  const kafka = new Kafka({
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    ssl: cfg.ssl,
    ...(cfg.sasl ? { sasl: cfg.sasl as SASLOptions } : {}),
    connectionTimeout: cfg.connectionTimeoutMs,
    requestTimeout: cfg.requestTimeoutMs,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => forwardLog(logger, entry),
  });
  return {
    publisher: (opts) => new KafkajsPublisher(kafka, opts ?? {}),
    consumer: (opts) => new KafkajsConsumer(kafka, opts, logger, options.joinTimeoutMs ?? 30_000),
    admin: () => new KafkajsAdmin(kafka),
  };
}

function forwardLog(logger: EventsLogger, entry: LogEntry): void {
  const { message, ...rest } = entry.log;
  const obj = { component: 'kafkajs', namespace: entry.namespace, ...rest };
  if (entry.level === KafkaLogLevel.ERROR) logger.error(obj, message);
  else if (entry.level === KafkaLogLevel.WARN) logger.warn(obj, message);
  else if (entry.level === KafkaLogLevel.INFO) logger.info(obj, message);
  else logger.debug(obj, message);
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

class KafkajsPublisher implements EventPublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(kafka: Kafka, opts: PublisherOptions) {
    const idempotent = opts.idempotent ?? true;
    this.producer = kafka.producer({
      idempotent,
      // One request in flight: a retried request can never overtake the next one, so the order
      // of each partition (hence of each key) is the order given to publish().
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java-compatible murmur2: the same key lands on the same partition as with Java clients.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 5_000 },
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    const byTopic = new Map<string, Message[]>();
    for (const m of messages) {
      let list = byTopic.get(m.topic);
      if (!list) byTopic.set(m.topic, (list = []));
      list.push({ key: m.key, value: toBuffer(m.value), headers: { ...m.headers } });
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
    });
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = undefined;
    await this.producer.disconnect();
  }
}

function headersOf(headers: IHeaders | undefined): ConsumedMessage['headers'] {
  const out: Record<string, string | Uint8Array | (string | Uint8Array)[] | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name] = value;
  return out;
}

function toConsumed(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers: headersOf(m.headers),
    timestamp: Number(m.timestamp),
  };
}

class KafkajsConsumer implements EventConsumer {
  private readonly consumer: Consumer;
  private readonly admin: KafkajsAdmin;
  private topics: readonly string[] = [];

  constructor(
    kafka: Kafka,
    private readonly opts: ConsumerOptions,
    private readonly logger: EventsLogger,
    private readonly joinTimeoutMs: number,
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 500,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 10_000 },
    });
    this.admin = new KafkajsAdmin(kafka);
  }

  async run(options: {
    topics: readonly string[];
    eachBatch(batch: ConsumedBatch, control: BatchControl): Promise<void>;
  }): Promise<void> {
    this.topics = options.topics;
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...options.topics],
      fromBeginning: this.opts.fromBeginning ?? true,
    });
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `consumer group ${this.opts.groupId} did not join within ${this.joinTimeoutMs} ms`,
            ),
          ),
        this.joinTimeoutMs,
      );
      const off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.logger.error(
        { groupId: this.opts.groupId, err: event.payload.error, restart: event.payload.restart },
        'consumer crashed',
      );
    });
    const running = this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.concurrency ?? 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        let lastDone: string | undefined;
        let lastCommitted: string | undefined;
        const control: BatchControl = {
          markDone: (offset) => {
            payload.resolveOffset(offset);
            lastDone = offset;
          },
          commit: async () => {
            if (lastDone === undefined || lastDone === lastCommitted) return;
            const next = (BigInt(lastDone) + 1n).toString();
            await payload.commitOffsetsIfNecessary({
              topics: [
                { topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] },
              ],
            });
            lastCommitted = lastDone;
          },
          heartbeat: () => payload.heartbeat(),
          isRunning: () => payload.isRunning(),
          isStale: () => payload.isStale(),
        };
        await options.eachBatch(
          {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            messages: batch.messages.map((m) => toConsumed(batch.topic, batch.partition, m)),
          },
          control,
        );
      },
    });
    await Promise.all([running, joined]);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }

  lag(): Promise<PartitionLag[]> {
    return this.admin.groupLag(this.opts.groupId, this.topics);
  }
}

class KafkajsAdmin implements EventAdmin {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;

  constructor(kafka: Kafka) {
    this.admin = kafka.admin({ retry: { retries: 5 } });
  }

  connect(): Promise<void> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = undefined;
    await this.admin.disconnect();
  }

  async listTopics(): Promise<string[]> {
    await this.connect();
    return this.admin.listTopics();
  }

  async describeTopics(names: readonly string[]): Promise<TopicState[]> {
    if (names.length === 0) return [];
    await this.connect();
    const meta = await this.admin.fetchTopicMetadata({ topics: [...names] });
    const configs = await this.admin.describeConfigs({
      includeSynonyms: false,
      // ConfigResourceTypes.TOPIC = 2
      resources: names.map((name) => ({ type: 2, name })),
    });
    return meta.topics.map((t) => {
      const resource = configs.resources.find((r) => r.resourceName === t.name);
      const entries: Record<string, string> = {};
      for (const e of resource?.configEntries ?? []) entries[e.configName] = e.configValue;
      return { name: t.name, partitions: t.partitions.length, configs: entries };
    });
  }

  async createTopics(
    topics: readonly TopicSpec[],
    options: { replicationFactor?: number } = {},
  ): Promise<void> {
    if (topics.length === 0) return;
    await this.connect();
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: options.replicationFactor ?? 1,
        configEntries: topicConfigEntries(t),
      })),
    });
  }

  async increasePartitions(topic: string, count: number): Promise<void> {
    await this.connect();
    await this.admin.createPartitions({ topicPartitions: [{ topic, count }] });
  }

  async alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    await this.connect();
    await this.admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2,
          name: topic,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.connect();
    await this.admin.deleteTopics({ topics: [...names] });
  }

  async listGroups(): Promise<string[]> {
    await this.connect();
    return (await this.admin.listGroups()).groups.map((g) => g.groupId).sort();
  }

  async groupLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    if (topics.length === 0) return [];
    await this.connect();
    const committed = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
    const out: PartitionLag[] = [];
    for (const t of committed) {
      const high = await this.admin.fetchTopicOffsets(t.topic);
      for (const p of t.partitions) {
        const hw = high.find((h) => h.partition === p.partition)?.high ?? '0';
        const from =
          BigInt(p.offset) >= 0n
            ? BigInt(p.offset)
            : BigInt(high.find((h) => h.partition === p.partition)?.low ?? '0');
        out.push({
          topic: t.topic,
          partition: p.partition,
          committed: p.offset,
          highWatermark: hw,
          lag: Number(BigInt(hw) - from),
        });
      }
    }
    return out;
  }
}
