import type { Actor } from '../domain/ports';
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

export interface EventMeta {
  /** Who caused it; undefined for changes driven by other platforms' events. */
  actor?: Actor;
  correlationId?: string;
  occurredAt: Date;
}

/** Port: appends an event to the outbox inside the caller's transaction. */
export interface ReferralEventSink {
  append(tx: Prisma.TransactionClient, event: ReferralEvent, meta: EventMeta): Promise<void>;
}

export const REFERRAL_EVENT_SINK = Symbol('referrals.event-sink');
