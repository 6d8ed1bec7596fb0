import { Injectable } from '@nestjs/common';
import {
  loggedOutcomes,
  type OutcomeLine,
  ServiceMessagingProvider,
  type ServiceMessagingPlan,
} from '@trellis/events';

import { ReferralsService } from '../app/referrals/referrals.service';
import type { ReferralsConfig } from '../app/config';
import type { Prisma } from '../app/prisma';
import { createInboundEventsHandler, type InboundEventOutcome } from './inbound-events.handler';

/** Flagged bookings warn; changes made are info; events that changed nothing, debug. */
function lineOf(outcome: InboundEventOutcome): OutcomeLine {
  if (outcome.type === 'flagged')
    return ['warn', 'booking for a referral that cannot be booked: flagged, not applied'];
  if (
    outcome.type === 'booked' ||
    outcome.type === 'unbooked' ||
    outcome.type === 'merged' ||
    (outcome.type === 'deceased' && outcome.affected > 0)
  )
    return ['info', 'inbound event applied'];
  return outcome.type === 'ignored' ? undefined : ['debug', 'inbound event: nothing to do'];
}

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
  constructor(private readonly referrals: ReferralsService) {
    super();
  }

  protected plan(): ServiceMessagingPlan<Prisma.TransactionClient> {
    if (!this.config.INBOUND_EVENTS_ENABLED) return {};
    return {
      consumer: {
        name: 'inbound-events-consumer',
        groupId: this.config.INBOUND_EVENTS_GROUP,
        topics: [this.config.APPOINTMENTS_EVENTS_TOPIC, this.config.IDENTITY_EVENTS_TOPIC],
        handle: loggedOutcomes(createInboundEventsHandler(this.referrals), this.logger, lineOf),
      },
    };
  }
}
