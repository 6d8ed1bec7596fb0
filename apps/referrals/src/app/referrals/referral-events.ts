import type { DomainEventSink, SubjectEvents } from '@trellis/events';

import type { RttStopReason } from '../domain/rtt';
import type { Prisma, ReferralRow } from '../prisma';

/** What happened to a referral; written to the outbox in the same transaction as the change. */
export type ReferralEvent = SubjectEvents<
  'referral',
  ReferralRow,
  {
    ReferralSent: object;
    ReferralAccepted: { note: string };
    ReferralRejected: { reason: string };
    ReferralAdviceGiven: { advice: string };
    ReferralBooked: { appointmentId: string; appointmentStart?: Date };
    ReferralCompleted: { note: string };
    ReferralCancelled: { reason: string };
    ReferralReturned: { reason: string };
    RttClockStopped: { reason: RttStopReason };
    ReferralUpdated: { changedFields: string[]; note: string };
    ReferralBookingCancelled: { appointmentId: string; reason: string; cancelledBy: string };
  }
>;

export type ReferralEventType = ReferralEvent['type'];

/** Who caused an event (undefined for changes driven by other platforms' events) and when. */
export type { DomainEventMeta as EventMeta } from '@trellis/events';

/** Port: appends an event to the outbox inside the caller's transaction. */
export type ReferralEventSink = DomainEventSink<ReferralEvent, Prisma.TransactionClient>;
