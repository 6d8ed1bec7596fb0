import { ReferralsError, ReferralsErrorCode } from './referrals.errors';

/** Wire names of the statuses (FHIR-ish, hyphenated); the database enum uses advice_given. */
export type Status =
  | 'sent'
  | 'accepted'
  | 'rejected'
  | 'advice-given'
  | 'booked'
  | 'completed'
  | 'cancelled'
  | 'returned';

export type Action =
  'accept' | 'reject' | 'give-advice' | 'book' | 'unbook' | 'complete' | 'cancel' | 'return';

/** Who may take an action: the target (provider), the referrer, either, or an event (system). */
export type Party = 'target' | 'referrer' | 'either' | 'system';

/**
 * The referral state machine:
 *   sent -> accepted | rejected | advice-given | booked (direct booking) | cancelled
 *   accepted -> booked | cancelled | returned
 *   booked -> completed | cancelled | accepted (its appointment was cancelled: awaiting a new booking)
 *   sent -> returned (the provider returns it to the referrer with a reason; also after accepting,
 *   before a booking: triage found it belongs elsewhere)
 *   rejected, advice-given, completed, cancelled, returned: final (advice-given may be converted into a
 *   new referral, which does not change the original's state).
 */
export const TRANSITIONS: Readonly<
  Record<Action, { from: readonly Status[]; to: Status; by: Party }>
> = {
  accept: { from: ['sent'], to: 'accepted', by: 'target' },
  reject: { from: ['sent'], to: 'rejected', by: 'target' },
  'give-advice': { from: ['sent'], to: 'advice-given', by: 'target' },
  book: { from: ['sent', 'accepted'], to: 'booked', by: 'system' },
  unbook: { from: ['booked'], to: 'accepted', by: 'system' },
  complete: { from: ['booked'], to: 'completed', by: 'target' },
  cancel: { from: ['sent', 'accepted', 'booked'], to: 'cancelled', by: 'either' },
  return: { from: ['sent', 'accepted'], to: 'returned', by: 'target' },
};

export const FINAL: readonly Status[] = [
  'rejected',
  'advice-given',
  'completed',
  'cancelled',
  'returned',
];

/**
 * Referrals the platform itself cancels when identity reports the patient deceased: every one
 * still open for someone, including an advice-given request not yet converted (the referrer could
 * still turn it into a referral). Not an API action: no caller can cancel advice-given, so it is
 * kept out of TRANSITIONS (and out of the "allowed from" lists of ILLEGAL_TRANSITION).
 */
export const CANCELLED_ON_DEATH: readonly Status[] = ['sent', 'accepted', 'advice-given', 'booked'];

export function canApply(current: Status, action: Action): boolean {
  return TRANSITIONS[action].from.includes(current);
}

/** The next status, or ILLEGAL_TRANSITION naming the current state and what is allowed from it. */
export function nextStatus(current: Status, action: Action, referralId = ''): Status {
  const t = TRANSITIONS[action];
  if (!t.from.includes(current)) {
    const allowed = (Object.keys(TRANSITIONS) as Action[]).filter((a) => canApply(current, a));
    throw new ReferralsError(
      ReferralsErrorCode.IllegalTransition,
      `Referral ${referralId} is '${current}': cannot ${action} (allowed from '${current}': ${allowed.length ? allowed.join(', ') : 'none, it is final'})`,
      { referralId, currentStatus: current, action },
    );
  }
  return t.to;
}

export function toDbStatus(
  s: Status,
):
  | 'sent'
  | 'accepted'
  | 'rejected'
  | 'advice_given'
  | 'booked'
  | 'completed'
  | 'cancelled'
  | 'returned' {
  return s === 'advice-given' ? 'advice_given' : s;
}

export function fromDbStatus(s: string): Status {
  return (s === 'advice_given' ? 'advice-given' : s) as Status;
}
