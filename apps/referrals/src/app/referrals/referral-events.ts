import type { DomainEventSink } from '@trellis/events';

import type { RttStopReason } from '../domain/rtt';
import type { Prisma, ReferralRow } from '../prisma';

/** What happened to a referral; written to the outbox in the same transaction as the change. */
export type ReferralEvent =
  | { type: 'ReferralSent'; referral: ReferralRow }
  | { type: 'ReferralAccepted'; referral: ReferralRow; note: string }
  | { type: 'ReferralRejected'; referral: ReferralRow; reason: string }
  | { type: 'ReferralAdviceGiven'; referral: ReferralRow; advice: string }
  | {
      type: 'ReferralBooked';
      referral: ReferralRow;
      appointmentId: string;
      appointmentStart?: Date;
    }
  | { type: 'ReferralCompleted'; referral: ReferralRow; note: string }
  | { type: 'ReferralCancelled'; referral: ReferralRow; reason: string }
  | { type: 'ReferralReturned'; referral: ReferralRow; reason: string }
  | { type: 'RttClockStopped'; referral: ReferralRow; reason: RttStopReason }
  | { type: 'ReferralUpdated'; referral: ReferralRow; changedFields: string[]; note: string }
  | {
      type: 'ReferralBookingCancelled';
      referral: ReferralRow;
      appointmentId: string;
      reason: string;
      cancelledBy: string;
    };

export type ReferralEventType = ReferralEvent['type'];

/** Who caused an event (undefined for changes driven by other platforms' events) and when. */
export type { DomainEventMeta as EventMeta } from '@trellis/events';

/** Port: appends an event to the outbox inside the caller's transaction. */
export type ReferralEventSink = DomainEventSink<ReferralEvent, Prisma.TransactionClient>;

export const REFERRAL_EVENT_SINK = Symbol('referrals.event-sink');
