import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { createKafkajsEventBus, createOutboxRelay, type OutboxRelay } from '@trellis/events';
import {
  CONFIG,
  HealthRegistry,
  kafkaConnection,
  ShutdownHooks,
  ShutdownOrder,
} from '@trellis/platform';

import type { ResultsConfig } from '../app/config';

/**
 * The service's Kafka side: the outbox relay publishing result and audit events. Started after
 * Nest is up, stopped by the platform's shutdown hooks (relay flush first, then Prisma).
 */
@Injectable()
export class ResultsMessaging implements OnApplicationBootstrap {
  relay?: OutboxRelay;

  constructor(
    @Inject(CONFIG) private readonly config: ResultsConfig,
    private readonly hooks: ShutdownHooks,
    private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const connection = kafkaConnection(this.config);
    if (!connection || !this.config.OUTBOX_RELAY_ENABLED) return;
    const publisher = createKafkajsEventBus(connection).publisher();
    const relay = createOutboxRelay({
      databaseUrl: this.config.DATABASE_URL,
      schema: this.config.DATABASE_SCHEMA,
      publisher,
    });
    await relay.start();
    this.relay = relay;
    this.hooks.register(
      'outbox-relay',
      async () => {
        await relay.stop({ flush: true });
        await publisher.disconnect();
      },
      ShutdownOrder.FLUSH,
    );
    this.health.register('kafka-relay', () => {
      if (!this.relay) throw new Error('outbox relay not started');
    });
  }
}
