import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import { Kafka, logLevel, type Consumer, type KafkaConfig, type SASLOptions } from 'kafkajs';

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
 * Replays and follows the compacted system-status topic. One consumer group per replica
 * (`trellis-auth.<service>.<host>.<uuid>`) so every replica sees every record, from the beginning.
 */
export class KafkaSystemStatusFeed implements SystemStatusFeed {
  private consumer: Consumer | undefined;
  private kafka: Kafka | undefined;
  readonly groupId: string;

  constructor(private readonly options: KafkaSystemStatusFeedOptions) {
    this.groupId = `trellis-auth.${options.service}.${hostname()}.${randomUUID()}`;
  }

  async start(registry: SystemStatusRegistry): Promise<void> {
    const topic = this.options.topic ?? SYSTEM_STATUS_TOPIC;
    const kafka = new Kafka(
      kafkaConfig(this.options.connection, `trellis-auth-${this.options.service}`),
    );
    this.kafka = kafka;

    // High-water marks now: the registry is ready once every partition has been replayed up to them.
    const admin = kafka.admin();
    await admin.connect();
    const pending = new Map<number, bigint>();
    try {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const high = BigInt(p.high);
        if (high > BigInt(p.low)) pending.set(p.partition, high);
      }
    } finally {
      await admin.disconnect();
    }

    const consumer = kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString('utf8');
        try {
          if (message.value === null) {
            if (key) registry.remove(key);
          } else {
            const update = this.options.decode(message.value);
            if (update) registry.apply(update);
          }
        } catch (err) {
          this.options.onError?.(err);
        }
        const target = pending.get(partition);
        if (target !== undefined && BigInt(message.offset) + 1n >= target) {
          pending.delete(partition);
          if (pending.size === 0) registry.markReady();
        }
      },
    });
    consumer.on(consumer.events.CRASH, (e) => this.options.onError?.(e.payload.error));
    if (pending.size === 0) registry.markReady();
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (!c) return;
    await c.disconnect();
    // The group is this replica's alone: remove it so restarts do not leave empty groups behind.
    const admin = this.kafka?.admin();
    if (!admin) return;
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

export function kafkaConfig(connection: KafkaConnection, clientId: string): KafkaConfig {
  const config: KafkaConfig = {
    clientId,
    brokers: [...connection.brokers],
    logLevel: logLevel.NOTHING,
    ...(connection.ssl ? { ssl: true } : {}),
  };
  if (connection.sasl) {
    config.sasl = {
      mechanism: connection.sasl.mechanism,
      username: connection.sasl.username,
      password: connection.sasl.password,
    } as SASLOptions;
  }
  return config;
}
