import { Inject, Injectable } from '@nestjs/common';
import { ServiceMessagingProvider, type ServiceMessagingPlan } from '@trellis/events';

import { BookingService } from '../app/booking/booking.service';
import type { AppointmentsConfig } from '../app/config';
import { PRISMA, type Prisma, type PrismaClient } from '../app/prisma';
import { createIdentityEventsHandler } from './identity-events.handler';

/**
 * The service's Kafka side: the outbox relay (publishes appointment and audit events) and the
 * inbox consumer of identity events. Started after Nest is up, stopped by the platform's
 * shutdown hooks (relay flush first, then consumers, then Prisma).
 */
@Injectable()
export class AppointmentsMessaging extends ServiceMessagingProvider<
  AppointmentsConfig,
  Prisma.TransactionClient
> {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly booking: BookingService,
  ) {
    super();
  }

  protected plan(): ServiceMessagingPlan<Prisma.TransactionClient> {
    const handle = createIdentityEventsHandler(this.booking);
    return {
      config: this.config,
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
    };
  }
}
