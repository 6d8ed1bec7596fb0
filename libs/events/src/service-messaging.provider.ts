import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  CONFIG,
  HealthRegistry,
  LOGGER,
  ShutdownHooks,
  type BaseConfig,
  type Logger,
} from '@trellis/service-kit';

import type { InboxConsumer } from './inbox/inbox-consumer';
import type { OutboxRelay } from './outbox/relay';
import { startServiceMessaging, type ServiceMessagingOptions } from './service-messaging';
import type { RawSqlClient } from './sql-client';

/** What a service says about its Kafka side: the options of startServiceMessaging but the platform's hooks and health. */
export type ServiceMessagingPlan<Tx extends RawSqlClient = RawSqlClient> = Omit<
  ServiceMessagingOptions<Tx>,
  'hooks' | 'health'
>;

/**
 * A service's Kafka side as a Nest provider: the subclass says only what it runs (`plan()`: config,
 * topics, handlers, options) and, if anything, what follows the start (`started()`); this starts it
 * with startServiceMessaging once Nest is up, with the platform's shutdown hooks (relay flush
 * first, then consumers, then the database) and readiness registry. The platform's pieces come by
 * property injection so that a subclass's constructor names only its own dependencies.
 */
@Injectable()
export abstract class ServiceMessagingProvider<
  Config extends BaseConfig = BaseConfig,
  Tx extends RawSqlClient = RawSqlClient,
> implements OnApplicationBootstrap {
  relay?: OutboxRelay;
  consumer?: InboxConsumer;

  @Inject(CONFIG) protected readonly config!: Config;
  @Inject(LOGGER) protected readonly logger!: Logger;
  @Inject(ShutdownHooks) protected readonly hooks!: ShutdownHooks;
  @Inject(HealthRegistry) private readonly health!: HealthRegistry;

  protected abstract plan(): ServiceMessagingPlan<Tx> | Promise<ServiceMessagingPlan<Tx>>;

  /** After the relay and consumer have started (or, with Kafka unreachable, begun retrying). */
  protected started(): void | Promise<void> {
    return undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const plan = await this.plan();
    const messaging = await startServiceMessaging({
      ...plan,
      hooks: this.hooks,
      health: this.health,
    });
    this.relay = messaging.relay;
    this.consumer = messaging.consumer;
    await this.started();
  }
}
