import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { startServiceMessaging, type InboxConsumer, type OutboxRelay } from '@trellis/events';
import { CONFIG, HealthRegistry, LOGGER, ShutdownHooks, type Logger } from '@trellis/platform';

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
    const handle = createIdentityEventsHandler(this.booking);
    const started = await startServiceMessaging({
      config: this.config,
      hooks: this.hooks,
      health: this.health,
      consumer: this.config.IDENTITY_EVENTS_ENABLED
        ? {
            name: 'identity-events-consumer',
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
          }
        : undefined,
    });
    this.relay = started.relay;
    this.consumer = started.consumer;
  }
}
