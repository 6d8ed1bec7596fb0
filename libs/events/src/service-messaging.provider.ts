import { Inject, Injectable, Optional, type OnApplicationBootstrap } from '@nestjs/common';
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
import { SERVICE_PRISMA } from './service-infra.module';
import {
  startServiceMessaging,
  type ServiceConsumerSpec,
  type ServiceMessagingOptions,
} from './service-messaging';
import type { RawSqlClient, TransactionalClient } from './sql-client';

/** What the Kafka side reads of a service's configuration. */
export type ServiceMessagingConfig = ServiceMessagingOptions<RawSqlClient>['config'];

/**
 * What a service says about its Kafka side: the options of startServiceMessaging but the
 * platform's hooks and health, with the service's configuration (where it holds what the Kafka
 * side reads; the gateway's does not and gives its own) and, for the inbox consumer, the
 * service's own Prisma client by default.
 */
export type ServiceMessagingPlan<
  Tx extends RawSqlClient = RawSqlClient,
  Config extends BaseConfig = ServiceMessagingConfig,
> = Omit<ServiceMessagingOptions<Tx>, 'hooks' | 'health' | 'config' | 'consumer'> & {
  consumer?:
    (Omit<ServiceConsumerSpec<Tx>, 'prisma'> & { prisma?: TransactionalClient<Tx> }) | undefined;
} & (Config extends ServiceMessagingConfig
    ? { config?: ServiceMessagingConfig }
    : { config: ServiceMessagingConfig });

/**
 * A service's Kafka side as a Nest provider: the subclass says only what it runs (`plan()`: config,
 * topics, handlers, options) and, if anything, what follows the start (`started()`); this starts it
 * with startServiceMessaging once Nest is up, with the platform's shutdown hooks (relay flush
 * first, then consumers, then the database) and readiness registry. The platform's pieces come by
 * property injection so that a subclass's constructor names only its own dependencies.
 */
@Injectable()
export abstract class ServiceMessagingProvider<
  Config extends BaseConfig = ServiceMessagingConfig,
  Tx extends RawSqlClient = RawSqlClient,
> implements OnApplicationBootstrap {
  relay?: OutboxRelay;
  consumer?: InboxConsumer;

  @Inject(CONFIG) protected readonly config!: Config;
  @Inject(LOGGER) protected readonly logger!: Logger;
  @Inject(ShutdownHooks) protected readonly hooks!: ShutdownHooks;
  @Inject(HealthRegistry) private readonly health!: HealthRegistry;
  /** The service's own client, where its root module is built on serviceInfraModule. */
  @Optional() @Inject(SERVICE_PRISMA) private readonly servicePrisma?: TransactionalClient<Tx>;

  protected abstract plan():
    ServiceMessagingPlan<Tx, Config> | Promise<ServiceMessagingPlan<Tx, Config>>;

  /** After the relay and consumer have started (or, with Kafka unreachable, begun retrying). */
  protected started(): void | Promise<void> {
    return undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { consumer, config, ...plan } = await this.plan();
    const prisma = consumer?.prisma ?? this.servicePrisma;
    if (consumer && !prisma)
      throw new Error(
        `${consumer.name}: no Prisma client (give one, or build on serviceInfraModule)`,
      );
    const messaging = await startServiceMessaging({
      // the plan leaves it out only where Config holds what the Kafka side reads (its type says so)
      config: config ?? (this.config as BaseConfig as ServiceMessagingConfig),
      ...plan,
      consumer: consumer && prisma ? { ...consumer, prisma } : undefined,
      hooks: this.hooks,
      health: this.health,
    });
    this.relay = messaging.relay;
    this.consumer = messaging.consumer;
    await this.started();
  }
}
