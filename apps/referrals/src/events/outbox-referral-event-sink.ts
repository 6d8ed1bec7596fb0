import { events, toTimestamp } from '@trellis/contracts';
import { domainEventEnvelope, type Outbox, type OutboxEventInput } from '@trellis/events';

import { rttStatus } from '../app/domain/rtt';
import type { EventMeta, ReferralEvent, ReferralEventSink } from '../app/referrals/referral-events';
import { priorityOf, statusOf } from '../app/referrals/referrals.service';
import type { Prisma, ReferralRow } from '../app/prisma';
import {
  ReferralAcceptedEvent,
  ReferralAdviceGivenEvent,
  ReferralBookedEvent,
  ReferralBookingCancelledEvent,
  ReferralCancelledEvent,
  ReferralCompletedEvent,
  ReferralRejectedEvent,
  ReferralReturnedEvent,
  ReferralSentEvent,
  ReferralUpdatedEvent,
  RttClockStoppedEvent,
} from './referral-event-types';

export function referralContext(r: ReferralRow): events.v1.ReferralEventContext {
  return {
    referralId: r.id,
    nhsNumber: r.nhsNumber,
    referrerOdsCode: r.referrerOdsCode,
    referrerRegion: r.referrerRegion,
    referrerPractitionerId: r.referrerPractitionerId,
    targetOdsCode: r.targetOdsCode,
    targetRegion: r.targetRegion,
    specialtyCode: r.specialtyCode,
    priority: priorityOf(r),
    status: statusOf(r),
    reasonCode: r.reasonCode,
    reasonDisplay: r.reasonDisplay,
    sentAt: toTimestamp(r.sentAt),
    version: r.version,
    basedOnReferralId: r.basedOnReferralId ?? '',
  };
}

/** Writes referral events to the transactional outbox (CloudEvents + protobuf payload). */
export class OutboxReferralEventSink implements ReferralEventSink {
  constructor(private readonly outbox: Outbox) {}

  async append(tx: Prisma.TransactionClient, event: ReferralEvent, meta: EventMeta): Promise<void> {
    await this.outbox.enqueue(tx, toOutboxInput(event, meta));
  }
}

/**
 * Both organisations (referrer and target) with their regions go into the payload context and the
 * CloudEvents extensions (ce_odscode / ce_region = the target, ce_regions = both regions).
 */
export function toOutboxInput(event: ReferralEvent, meta: EventMeta): OutboxEventInput {
  const r = event.referral;
  const { context, occurrence } = domainEventEnvelope(
    'referrals',
    [
      { odsCode: r.targetOdsCode, region: r.targetRegion },
      { odsCode: r.referrerOdsCode, region: r.referrerRegion },
    ],
    { nhsNumber: r.nhsNumber, id: r.id },
    meta,
  );
  const referral = referralContext(r);
  switch (event.type) {
    case 'ReferralSent':
      return ReferralSentEvent.occurrence({ context, referral }, occurrence);
    case 'ReferralAccepted':
      return ReferralAcceptedEvent.occurrence({ context, referral, note: event.note }, occurrence);
    case 'ReferralRejected':
      return ReferralRejectedEvent.occurrence(
        { context, referral, reason: event.reason },
        occurrence,
      );
    case 'ReferralAdviceGiven':
      return ReferralAdviceGivenEvent.occurrence(
        { context, referral, advice: event.advice },
        occurrence,
      );
    case 'ReferralBooked':
      return ReferralBookedEvent.occurrence(
        {
          context,
          referral,
          appointmentId: event.appointmentId,
          appointmentStart: event.appointmentStart
            ? toTimestamp(event.appointmentStart)
            : undefined,
        },
        occurrence,
      );
    case 'ReferralCompleted':
      return ReferralCompletedEvent.occurrence({ context, referral, note: event.note }, occurrence);
    case 'ReferralCancelled':
      return ReferralCancelledEvent.occurrence(
        { context, referral, reason: event.reason },
        occurrence,
      );
    case 'ReferralReturned':
      return ReferralReturnedEvent.occurrence(
        { context, referral, reason: event.reason },
        occurrence,
      );
    case 'ReferralUpdated':
      return ReferralUpdatedEvent.occurrence(
        { context, referral, changedFields: event.changedFields, note: event.note },
        occurrence,
      );
    case 'ReferralBookingCancelled':
      return ReferralBookingCancelledEvent.occurrence(
        {
          context,
          referral,
          appointmentId: event.appointmentId,
          reason: event.reason,
          cancelledBy: event.cancelledBy,
        },
        occurrence,
      );
    case 'RttClockStopped': {
      const rtt = rttStatus(
        {
          priority: priorityOf(r),
          startedAt: r.rttStartedAt,
          stoppedAt: r.rttStoppedAt,
          firstAppointmentAt: r.firstAppointmentAt,
        },
        meta.occurredAt,
      );
      return RttClockStoppedEvent.occurrence(
        {
          context,
          referral,
          startedAt: toTimestamp(r.rttStartedAt),
          stoppedAt: toTimestamp(r.rttStoppedAt ?? meta.occurredAt),
          reason: event.reason,
          daysWaited: rtt.daysWaited,
          weeksWaited: rtt.weeksWaited,
          breached18Weeks: rtt.breached18Weeks,
          breachedTwoWeekWait: rtt.breachedTwoWeekWait,
        },
        occurrence,
      );
    }
  }
}
