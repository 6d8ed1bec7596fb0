import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import { createEventBus, silentLogger, type EventBus, type EventConsumer } from '@trellis/events';

import {
  type SystemStatusFeed,
  type SystemStatusRegistry,
  type SystemStatusUpdate,
} from './system-status';

export const SYSTEM_STATUS_TOPIC = 'trellis.gateway.system.v1';

export interface KafkaConnection {
  brokers: readonly string[];
  sasl?: {
    mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain';
    username: string;
    password: string;
  };
  ssl?: boolean;
}

export interface KafkaSystemStatusFeedOptions {
  connection: KafkaConnection;
  /** Service name, used in the client id and the per-replica consumer group. */
  service: string;
  topic?: string;
  /** Decodes a Kafka value (protobuf ConnectedSystemChanged) into a status update. */
  decode: (value: Buffer) => SystemStatusUpdate | undefined;
  /** Called on undecodable records and consumer crashes (logging is the caller's). */
  onError?: (err: unknown) => void;
}

/**
 * Replays and follows the compacted system-status topic through the events port. One consumer
 * group per replica (`trellis-auth.<service>.<host>.<uuid>`) so every replica sees every record,
 * from the beginning; it commits nothing (each start replays) and is deleted on stop.
 */
export class KafkaSystemStatusFeed implements SystemStatusFeed {
  private consumer: EventConsumer | undefined;
  private bus: EventBus | undefined;
  readonly groupId: string;

  constructor(private readonly options: KafkaSystemStatusFeedOptions) {
    this.groupId = `trellis-auth.${options.service}.${hostname()}.${randomUUID()}`;
  }

  async start(registry: SystemStatusRegistry): Promise<void> {
    const topic = this.options.topic ?? SYSTEM_STATUS_TOPIC;
    const { brokers, sasl, ssl } = this.options.connection;
    const onError = this.options.onError;
    const bus = createEventBus(
      {
        clientId: `trellis-auth-${this.options.service}`,
        brokers: [...brokers],
        ...(ssl ? { ssl: true } : {}),
        ...(sasl ? { sasl: { ...sasl } } : {}),
      },
      // a failed consumer stream (the client's own retries exhausted) reaches the caller's log
      {
        logger: {
          ...silentLogger,
          error: (obj, msg) =>
            onError?.('err' in obj && obj.err instanceof Error ? obj.err : new Error(msg)),
        },
      },
    );
    this.bus = bus;

    // High-water marks now: the registry is ready once every partition has been replayed up to them.
    const admin = bus.admin();
    const pending = new Map<number, bigint>();
    try {
      for (const p of await admin.topicOffsets!(topic)) {
        const high = BigInt(p.high);
        if (high > BigInt(p.low)) pending.set(p.partition, high);
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }

    const consumer = bus.consumer({
      groupId: this.groupId,
      fromBeginning: true,
      sessionTimeoutMs: 10_000,
    });
    this.consumer = consumer;
    try {
      await this.follow(consumer, topic, registry, pending);
    } catch (err) {
      // undo the failed start (Kafka unreachable): the caller retries with a fresh consumer
      this.consumer = undefined;
      await consumer.stop().catch(() => undefined);
      throw err;
    }
    if (pending.size === 0) registry.markReady();
  }

  private async follow(
    consumer: EventConsumer,
    topic: string,
    registry: SystemStatusRegistry,
    pending: Map<number, bigint>,
  ): Promise<void> {
    await consumer.run({
      topics: [topic],
      eachBatch: async (batch, control) => {
        for (const message of batch.messages) {
          const key = message.key ? Buffer.from(message.key).toString('utf8') : undefined;
          try {
            if (message.value === null) {
              if (key) registry.remove(key);
            } else {
              const update = this.options.decode(Buffer.from(message.value));
              if (update) registry.apply(update);
            }
          } catch (err) {
            this.options.onError?.(err);
          }
          control.markDone(message.offset);
          const target = pending.get(batch.partition);
          if (target !== undefined && BigInt(message.offset) + 1n >= target) {
            pending.delete(batch.partition);
            if (pending.size === 0) registry.markReady();
          }
        }
      },
    });
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (!c) return;
    await c.stop();
    // The group is this replica's alone: remove it so restarts do not leave empty groups behind.
    const admin = this.bus?.admin();
    if (!admin) return;
    try {
      await admin.deleteGroups?.([this.groupId]);
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
