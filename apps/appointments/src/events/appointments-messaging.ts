import { Injectable } from '@nestjs/common';
import {
  loggedOutcomes,
  ServiceMessagingProvider,
  type ServiceMessagingPlan,
} from '@trellis/events';

import { BookingService } from '../app/booking/booking.service';
import type { AppointmentsConfig } from '../app/config';
import type { Prisma } from '../app/prisma';
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
  constructor(private readonly booking: BookingService) {
    super();
  }

  protected plan(): ServiceMessagingPlan<Prisma.TransactionClient> {
    if (!this.config.IDENTITY_EVENTS_ENABLED) return {};
    return {
      consumer: {
        name: 'identity-events-consumer',
        groupId: this.config.IDENTITY_EVENTS_GROUP,
        topics: [this.config.IDENTITY_EVENTS_TOPIC],
        handle: loggedOutcomes(createIdentityEventsHandler(this.booking), this.logger, (outcome) =>
          outcome.type === 'ignored' ? undefined : ['info', 'identity event applied'],
        ),
      },
    };
  }
}
