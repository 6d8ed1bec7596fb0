import {
  kafkaConnection,
  ShutdownOrder,
  type BaseConfig,
  type HealthRegistry,
  type ShutdownHooks,
} from '@trellis/platform';

import { createEventBus } from './bus';
import {
  createInboxConsumer,
  type InboxConsumer,
  type InboxConsumerOptions,
} from './inbox/inbox-consumer';
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
}

export interface ServiceMessaging {
  relay?: OutboxRelay;
  consumer?: InboxConsumer;
}

/**
 * A service's Kafka side, started once Nest is up: the outbox relay (when OUTBOX_RELAY_ENABLED)
 * and the inbox consumer (when given). Both are stopped by the platform's shutdown hooks — relay
 * flush first, then consumers, then the database — and reported by the readiness checks.
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
  const bus = createEventBus(connection);
  const started: ServiceMessaging = {};
  if (config.OUTBOX_RELAY_ENABLED) {
    const publisher = bus.publisher();
    const relay = createOutboxRelay({
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      publisher,
    });
    await relay.start();
    started.relay = relay;
    hooks.register(
      'outbox-relay',
      async () => {
        await relay.stop({ flush: true });
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
    await consumer.start();
    started.consumer = consumer;
    hooks.register(spec.name, () => consumer.stop(), ShutdownOrder.MESSAGING);
  }
  health.register('kafka', () => {
    if (config.OUTBOX_RELAY_ENABLED && !started.relay) throw new Error('outbox relay not started');
    if (spec && !started.consumer) throw new Error(`${spec.name} not started`);
  });
  return started;
}
