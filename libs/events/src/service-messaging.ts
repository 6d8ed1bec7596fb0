import {
  createLogger,
  kafkaConnection,
  ShutdownOrder,
  type BaseConfig,
  type HealthRegistry,
  type ShutdownHooks,
} from '@trellis/service-kit';

import { backoffDelay, sleep, type BackoffOptions } from './backoff';
import { createEventBus } from './bus';
import {
  createInboxConsumer,
  type InboxConsumer,
  type InboxConsumerOptions,
} from './inbox/inbox-consumer';
import type { EventsLogger } from './logger';
import { createOutboxRelay, type OutboxRelay } from './outbox/relay';
import type { RawSqlClient, TransactionalClient } from './sql-client';

/** The inbox consumer a service runs, if any. */
export interface ServiceConsumerSpec<Tx extends RawSqlClient> {
  /** Shutdown hook name, e.g. `identity-events-consumer`. */
  name: string;
  groupId: string;
  topics: readonly string[];
  prisma: TransactionalClient<Tx>;
  handle?: InboxConsumerOptions<Tx>['handle'];
  handleBatch?: InboxConsumerOptions<Tx>['handleBatch'];
  maxBatchSize?: number;
  concurrency?: number;
  fromBeginning?: boolean;
}

export interface ServiceMessagingOptions<Tx extends RawSqlClient> {
  config: BaseConfig & {
    OUTBOX_RELAY_ENABLED: boolean;
    DATABASE_URL: string;
    DATABASE_SCHEMA: string;
  };
  hooks: ShutdownHooks;
  health: HealthRegistry;
  /** The inbox consumer, when the service reacts to other services' events (and it is enabled). */
  consumer?: ServiceConsumerSpec<Tx> | undefined;
  /** Refuse to start without Kafka (a service that exists only to consume). */
  kafkaRequired?: boolean;
  /** Delays between connection attempts while Kafka is unreachable (default 500 ms → 30 s). */
  retryBackoff?: BackoffOptions;
  /** Default: the platform's pino logger for the service. */
  logger?: EventsLogger;
  /** Relay tuning: poll interval, and how long shutdown waits for the outbox to flush (10 s). */
  relay?: { pollIntervalMs?: number; stopTimeoutMs?: number };
}

export interface ServiceMessaging {
  relay?: OutboxRelay;
  consumer?: InboxConsumer;
}

/**
 * A service's Kafka side, started once Nest is up: the outbox relay (when OUTBOX_RELAY_ENABLED)
 * and the inbox consumer (when given). Both are stopped by the platform's shutdown hooks — relay
 * flush first, then consumers, then the database — and reported by the readiness checks.
 *
 * Kafka unreachable at boot degrades the service instead of failing it: this resolves after one
 * attempt, the relay and consumer keep connecting with backoff in the background, writes wait in
 * the outbox (drained in order once connected), and the non-critical `kafka` readiness check says
 * what is missing and the outbox backlog, while the service stays ready and serves reads.
 */
export async function startServiceMessaging<Tx extends RawSqlClient>(
  options: ServiceMessagingOptions<Tx>,
): Promise<ServiceMessaging> {
  const { config, hooks, health } = options;
  const connection = kafkaConnection(config);
  if (!connection) {
    if (options.kafkaRequired) throw new Error('KAFKA_BROKERS is required');
    return {};
  }
  const logger: EventsLogger =
    options.logger ??
    createLogger({
      service: config.SERVICE_NAME,
      version: config.SERVICE_VERSION,
      level: config.LOG_LEVEL,
    });
  const bus = createEventBus(connection);
  const parts: ServiceMessaging = {};
  const started = { relay: false, consumer: false };
  const stopping = new AbortController();
  let lastError: unknown;
  let retrying: Promise<void> = Promise.resolve();

  if (config.OUTBOX_RELAY_ENABLED) {
    const publisher = bus.publisher();
    const relay = createOutboxRelay({
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      publisher,
      ...(options.relay?.pollIntervalMs !== undefined
        ? { pollIntervalMs: options.relay.pollIntervalMs }
        : {}),
    });
    parts.relay = relay;
    hooks.register(
      'outbox-relay',
      async () => {
        stopping.abort();
        await retrying;
        await relay.stop({
          flush: true,
          ...(options.relay?.stopTimeoutMs !== undefined
            ? { timeoutMs: options.relay.stopTimeoutMs }
            : {}),
        });
        await publisher.disconnect();
      },
      ShutdownOrder.FLUSH,
    );
  }
  const spec = options.consumer;
  if (spec) {
    const consumer = createInboxConsumer({
      bus,
      groupId: spec.groupId,
      topics: spec.topics,
      prisma: spec.prisma,
      ...(spec.handle ? { handle: spec.handle } : {}),
      ...(spec.handleBatch ? { handleBatch: spec.handleBatch } : {}),
      ...(spec.maxBatchSize !== undefined ? { maxBatchSize: spec.maxBatchSize } : {}),
      ...(spec.concurrency !== undefined ? { concurrency: spec.concurrency } : {}),
      ...(spec.fromBeginning !== undefined ? { fromBeginning: spec.fromBeginning } : {}),
    });
    parts.consumer = consumer;
    hooks.register(
      spec.name,
      async () => {
        stopping.abort();
        await retrying;
        await consumer.stop();
      },
      ShutdownOrder.MESSAGING,
    );
  }

  const startParts = async (): Promise<void> => {
    if (parts.relay && !started.relay) {
      await parts.relay.start();
      started.relay = true;
    }
    if (parts.consumer && !started.consumer) {
      await parts.consumer.start();
      started.consumer = true;
    }
  };
  const backoff: BackoffOptions = { initialMs: 500, maxMs: 30_000, ...options.retryBackoff };
  try {
    await startParts();
  } catch (error) {
    lastError = error;
    logger.warn(
      { error: messageOf(error) },
      'Kafka unreachable at boot: serving degraded, retrying',
    );
    retrying = (async () => {
      for (let attempt = 1; !stopping.signal.aborted; attempt++) {
        await sleep(backoffDelay(attempt, backoff), stopping.signal);
        if (stopping.signal.aborted) return;
        try {
          await startParts();
          lastError = undefined;
          logger.info({ attempts: attempt + 1 }, 'Kafka reachable: messaging started');
          return;
        } catch (e) {
          lastError = e;
          logger.warn({ error: messageOf(e), attempt }, 'Kafka still unreachable');
        }
      }
    })();
  }

  health.register(
    'kafka',
    async () => {
      const missing = [
        ...(parts.relay && !started.relay ? ['outbox relay'] : []),
        ...(spec && !started.consumer ? [spec.name] : []),
      ];
      if (missing.length === 0) return;
      const cause = messageOf(lastError);
      let backlog = '';
      if (parts.relay) {
        const lag = await parts.relay.lag();
        backlog = `; outbox backlog ${lag.unsent} event(s), oldest ${lag.oldestAgeMs ?? 0} ms`;
      }
      throw new Error(`unreachable (${cause}): ${missing.join(', ')} not started${backlog}`);
    },
    { critical: false },
  );
  return parts;
}

/** One line (the client's errors nest an aggregate per broker and attempt, each with a stack). */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
