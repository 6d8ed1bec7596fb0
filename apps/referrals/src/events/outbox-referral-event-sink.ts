import { events, toTimestamp } from '@trellis/contracts';
import { domainEventWriter, outboxEventSink, withEventFields } from '@trellis/events';

import { rttStatus } from '../app/domain/rtt';
import type { ReferralEvent } from '../app/referrals/referral-events';
import { priorityOf, statusOf } from '../app/referrals/referrals.service';
import type { Prisma, ReferralRow } from '../app/prisma';
import { ReferralEvents } from './referral-event-types';

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

/**
 * Both organisations (referrer and target) with their regions go into the payload context and the
 * CloudEvents extensions (ce_odscode / ce_region = the target, ce_regions = both regions).
 */
export const toOutboxInput = domainEventWriter({
  service: 'referrals',
  types: ReferralEvents,
  subject: ({ referral: r }: ReferralEvent) => ({
    organisations: [
      { odsCode: r.targetOdsCode, region: r.targetRegion },
      { odsCode: r.referrerOdsCode, region: r.referrerRegion },
    ],
    record: { nhsNumber: r.nhsNumber, id: r.id },
    common: { referral: referralContext(r) },
  }),
  payloads: {
    ReferralSent: (_, common) => common,
    ReferralAccepted: withEventFields('note'),
    ReferralRejected: withEventFields('reason'),
    ReferralAdviceGiven: withEventFields('advice'),
    ReferralBooked: (e, common) => ({
      ...common,
      appointmentId: e.appointmentId,
      appointmentStart: e.appointmentStart ? toTimestamp(e.appointmentStart) : undefined,
    }),
    ReferralCompleted: withEventFields('note'),
    ReferralCancelled: withEventFields('reason'),
    ReferralReturned: withEventFields('reason'),
    ReferralUpdated: withEventFields('changedFields', 'note'),
    ReferralBookingCancelled: withEventFields('appointmentId', 'reason', 'cancelledBy'),
    RttClockStopped: ({ referral: r, reason }, common, meta) => {
      const rtt = rttStatus(
        {
          priority: priorityOf(r),
          startedAt: r.rttStartedAt,
          stoppedAt: r.rttStoppedAt,
          firstAppointmentAt: r.firstAppointmentAt,
        },
        meta.occurredAt,
      );
      return {
        ...common,
        startedAt: toTimestamp(r.rttStartedAt),
        stoppedAt: toTimestamp(r.rttStoppedAt ?? meta.occurredAt),
        reason,
        daysWaited: rtt.daysWaited,
        weeksWaited: rtt.weeksWaited,
        breached18Weeks: rtt.breached18Weeks,
        breachedTwoWeekWait: rtt.breachedTwoWeekWait,
      };
    },
  },
});

/** Writes referral events to the transactional outbox (CloudEvents + protobuf payload). */
export const OutboxReferralEventSink = outboxEventSink<ReferralEvent, Prisma.TransactionClient>(
  toOutboxInput,
);
