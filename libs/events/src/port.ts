/**
 * The events port: what Trellis needs from a Kafka client. The @platformatic/kafka adapter
 * implements it (src/platformatic, created by `createEventBus`); another client can replace it
 * without touching the outbox relay or the inbox consumer (kafkajs did until it was retired:
 * docs/events.md, "The Kafka client").
 */
import type { HeaderValue } from './cloudevents';
import type { TopicSpec } from './topics';

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  value: Uint8Array;
  headers: Readonly<Record<string, string>>;
}

export interface PublisherOptions {
  /**
   * Idempotent producer (acks=all, broker-side de-duplication of retries) with one request in
   * flight per connection, so retries cannot reorder messages of a partition. Default true.
   */
  idempotent?: boolean;
  /**
   * Record-batch compression. Default `lz4`: cheaper for the publisher than sending the batch
   * uncompressed (docs/performance.md, "Events path"); every Kafka client reads it.
   */
  compression?: 'none' | 'lz4' | 'zstd' | 'snappy' | 'gzip';
}

export interface EventPublisher {
  connect(): Promise<void>;
  /**
   * Publish messages; resolves once every message is acknowledged by the broker. Messages of one
   * topic-partition are written in the given order. On rejection some messages may have been
   * written (at-least-once: the caller retries, consumers de-duplicate).
   */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Readonly<Record<string, HeaderValue>>;
  /** Broker timestamp, ms since epoch. */
  timestamp: number;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: readonly ConsumedMessage[];
}

export interface BatchControl {
  /** The message at `offset` is done: do not deliver it again in this session. */
  markDone(offset: string): void;
  /** Commit the group's offset past the last message marked done (no-op if none). */
  commit(): Promise<void>;
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: finish the current message and return. */
  isRunning(): boolean;
  /** True if the partition was revoked by a rebalance: return without doing more. */
  isStale(): boolean;
}

export interface ConsumerOptions {
  groupId: string;
  /** Partitions processed in parallel (each partition stays sequential). Default 1. */
  concurrency?: number;
  /** Where a new group starts. Default true (earliest). */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Committed offset of the group (-1 when none). */
  committed: string;
  highWatermark: string;
  lag: number;
}

export interface EventConsumer {
  /** Join the group and start fetching; resolves once the consumer has joined with an assignment. */
  run(options: {
    topics: readonly string[];
    eachBatch(batch: ConsumedBatch, control: BatchControl): Promise<void>;
  }): Promise<void>;
  stop(): Promise<void>;
  /** Lag per partition (high watermark minus committed offset). */
  lag(): Promise<PartitionLag[]>;
}

export interface TopicState {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

export interface EventAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  describeTopics(names: readonly string[]): Promise<TopicState[]>;
  createTopics(
    topics: readonly TopicSpec[],
    options?: { replicationFactor?: number },
  ): Promise<void>;
  increasePartitions(topic: string, count: number): Promise<void>;
  alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void>;
  deleteTopics(names: readonly string[]): Promise<void>;
  groupLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]>;
  /**
   * The consumer groups the cluster knows (ids only), e.g. a region's subscribers by prefix.
   * Optional: an adapter without it cannot report regional stream health.
   */
  listGroups?(): Promise<string[]>;
  /** Earliest (`low`) and next (`high`) offset of each partition of a topic. */
  topicOffsets?(topic: string): Promise<TopicPartitionOffsets[]>;
  /** Per partition, the first offset whose timestamp is at or after `timestampMs` (else `high`). */
  offsetsAt?(topic: string, timestampMs: number): Promise<{ partition: number; offset: string }[]>;
  /** Sets a (not running) group's committed offsets on a topic, creating the group if needed. */
  setGroupOffsets?(
    groupId: string,
    topic: string,
    offsets: readonly { partition: number; offset: string }[],
  ): Promise<void>;
  /** Removes groups (with their committed offsets); they must have no running member. */
  deleteGroups?(groupIds: readonly string[]): Promise<void>;
}

export interface TopicPartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/** Factory of publishers, consumers and admins bound to one cluster. */
export interface EventBus {
  publisher(options?: PublisherOptions): EventPublisher;
  consumer(options: ConsumerOptions): EventConsumer;
  admin(): EventAdmin;
}
