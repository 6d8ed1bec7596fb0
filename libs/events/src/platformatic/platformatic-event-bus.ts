import { Producer, compatibilityPartitioner, type SASLMechanismValue } from '@platformatic/kafka';
import { kafkaConfigSchema, type KafkaConfig } from '../config';
import { silentLogger, type EventsLogger } from '../logger';
import type { EventBus, EventPublisher, OutgoingMessage, PublisherOptions } from '../port';
import { guardConnectionErrors } from './connection-errors';
import { PlatformaticAdmin, type KafkaBase } from './platformatic-admin';
import { PlatformaticConsumer } from './platformatic-consumer';

/** @platformatic/kafka implementation of the events port (Kafka 3.x and 4.x). */
export function createPlatformaticEventBus(
  config: KafkaConfig,
  options: { logger?: EventsLogger } = {},
): EventBus {
  const cfg = kafkaConfigSchema.parse(config);
  guardConnectionErrors();
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

const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Header names as bytes, encoded once: every event carries the same dozen (the CloudEvents
 * attributes), so a relay batch would otherwise encode them again for each message.
 */
const headerNames = new Map<string, Buffer>();
const HEADER_NAMES_KEPT = 256;
function headerName(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (!bytes) {
    bytes = Buffer.from(name);
    if (headerNames.size < HEADER_NAMES_KEPT) headerNames.set(name, bytes);
  }
  return bytes;
}

class PlatformaticPublisher implements EventPublisher {
  private producer: Producer | undefined;

  constructor(
    private readonly base: KafkaBase,
    private readonly opts: PublisherOptions,
  ) {}

  async connect(): Promise<void> {
    const compression = this.opts.compression ?? 'lz4';
    this.producer ??= new Producer({
      ...this.base,
      idempotent: this.opts.idempotent ?? true,
      acks: -1,
      // A record batch is a list of many small buffers (a few per header of every message) that
      // the client concatenates for its CRC and again for the socket: compressed, it does so once,
      // over far fewer bytes (docs/performance.md, "Events path").
      ...(compression === 'none' ? {} : { compression }),
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
      messages: messages.map((m) => {
        const headers = new Map<Buffer, Buffer>();
        for (const [name, value] of Object.entries(m.headers))
          headers.set(headerName(name), Buffer.from(value));
        return {
          topic: m.topic,
          ...(m.key === null ? {} : { key: Buffer.from(m.key) }),
          value: toBuffer(m.value),
          headers,
        };
      }),
    });
  }

  async disconnect(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.close();
  }
}
