import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  createInboxConsumer,
  createKafkajsEventBus,
  createOutboxRelay,
  type InboxConsumer,
  type OutboxRelay,
} from '@trellis/events';
import {
  CONFIG,
  HealthRegistry,
  kafkaConnection,
  LOGGER,
  ShutdownHooks,
  ShutdownOrder,
  type Logger,
} from '@trellis/platform';

import { BookingService } from '../app/booking/booking.service';
import type { AppointmentsConfig } from '../app/config';
import { PRISMA, type PrismaClient } from '../app/prisma';
import { createIdentityEventsHandler } from './identity-events.handler';

/**
 * The service's Kafka side: the outbox relay (publishes appointment and audit events) and the
 * inbox consumer of identity events. Started after Nest is up, stopped by the platform's
 * shutdown hooks (relay flush first, then consumers, then Prisma).
 */
@Injectable()
export class AppointmentsMessaging implements OnApplicationBootstrap {
  relay?: OutboxRelay;
  consumer?: InboxConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: AppointmentsConfig,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly booking: BookingService,
    private readonly hooks: ShutdownHooks,
    private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const connection = kafkaConnection(this.config);
    if (!connection) return;
    const bus = createKafkajsEventBus(connection);
    if (this.config.OUTBOX_RELAY_ENABLED) {
      const publisher = bus.publisher();
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
    }
    if (this.config.IDENTITY_EVENTS_ENABLED) {
      const handle = createIdentityEventsHandler(this.booking);
      const consumer = createInboxConsumer({
        bus,
        groupId: this.config.IDENTITY_EVENTS_GROUP,
        topics: [this.config.IDENTITY_EVENTS_TOPIC],
        prisma: this.prisma,
        handle: async (event, tx) => {
          const outcome = await handle(event, tx);
          if (outcome.type !== 'ignored')
            this.logger.info(
              { event_id: event.id, ce_type: event.type, ...outcome },
              'identity event applied',
            );
        },
      });
      await consumer.start();
      this.consumer = consumer;
      this.hooks.register(
        'identity-events-consumer',
        () => consumer.stop(),
        ShutdownOrder.MESSAGING,
      );
    }
    this.health.register('kafka-relay', () => {
      if (this.config.OUTBOX_RELAY_ENABLED && !this.relay)
        throw new Error('outbox relay not started');
    });
  }
}
