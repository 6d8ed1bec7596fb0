import { Inject, Injectable } from '@nestjs/common';
import { ServiceMessagingProvider, type ServiceMessagingPlan } from '@trellis/events';

import { ReferralsService } from '../app/referrals/referrals.service';
import type { ReferralsConfig } from '../app/config';
import { PRISMA, type Prisma, type PrismaClient } from '../app/prisma';
import { createInboundEventsHandler } from './inbound-events.handler';

/**
 * The service's Kafka side: the outbox relay (publishes appointment and audit events) and the
 * inbox consumer of appointment and identity events (AppointmentBooked / AppointmentCancelled,
 * PatientMerged / PatientDeceased). Started after Nest is up, stopped by the platform's
 * shutdown hooks (relay flush first, then consumers, then Prisma).
 */
@Injectable()
export class ReferralsMessaging extends ServiceMessagingProvider<
  ReferralsConfig,
  Prisma.TransactionClient
> {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly referrals: ReferralsService,
  ) {
    super();
  }

  protected plan(): ServiceMessagingPlan<Prisma.TransactionClient> {
    const handle = createInboundEventsHandler(this.referrals);
    return {
      config: this.config,
      consumer: this.config.INBOUND_EVENTS_ENABLED
        ? {
            name: 'inbound-events-consumer',
            groupId: this.config.INBOUND_EVENTS_GROUP,
            topics: [this.config.APPOINTMENTS_EVENTS_TOPIC, this.config.IDENTITY_EVENTS_TOPIC],
            prisma: this.prisma,
            handle: async (event, tx) => {
              const outcome = await handle(event, tx);
              const fields = { event_id: event.id, ce_type: event.type, ...outcome };
              if (outcome.type === 'flagged')
                this.logger.warn(
                  fields,
                  'booking for a referral that cannot be booked: flagged, not applied',
                );
              else if (
                outcome.type === 'booked' ||
                outcome.type === 'unbooked' ||
                outcome.type === 'merged' ||
                (outcome.type === 'deceased' && outcome.affected > 0)
              )
                this.logger.info(fields, 'inbound event applied');
              else if (outcome.type !== 'ignored')
                this.logger.debug(fields, 'inbound event: nothing to do');
            },
          }
        : undefined,
    };
  }
}
