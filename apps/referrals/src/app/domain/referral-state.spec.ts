import { nextStatus, TRANSITIONS, type Action, type Status } from './referral-state';
import { ReferralsError, ReferralsErrorCode } from './referrals.errors';

const ALL: Status[] = [
  'sent',
  'accepted',
  'rejected',
  'advice-given',
  'booked',
  'completed',
  'cancelled',
  'returned',
];
const LEGAL: Record<Status, Partial<Record<Action, Status>>> = {
  sent: {
    accept: 'accepted',
    reject: 'rejected',
    'give-advice': 'advice-given',
    book: 'booked',
    cancel: 'cancelled',
    return: 'returned',
  },
  accepted: { book: 'booked', cancel: 'cancelled', return: 'returned' },
  booked: { complete: 'completed', cancel: 'cancelled', unbook: 'accepted' },
  rejected: {},
  'advice-given': {},
  completed: {},
  cancelled: {},
  returned: {},
};

describe('referral state machine', () => {
  it('names the current state and what is allowed from it when a return is refused', () => {
    expect(() => nextStatus('booked', 'return', 'r9')).toThrow(
      "Referral r9 is 'booked': cannot return (allowed from 'booked': unbook, complete, cancel)",
    );
    expect(() => nextStatus('returned', 'cancel', 'r9')).toThrow(
      "Referral r9 is 'returned': cannot cancel (allowed from 'returned': none, it is final)",
    );
  });

  for (const from of ALL) {
    for (const action of Object.keys(TRANSITIONS) as Action[]) {
      const to = LEGAL[from][action];
      it(`${from} --${action}--> ${to ?? 'refused'}`, () => {
        if (to) return expect(nextStatus(from, action, 'r1')).toBe(to);
        try {
          nextStatus(from, action, 'r1');
        } catch (e) {
          expect(e).toBeInstanceOf(ReferralsError);
          expect((e as ReferralsError).code).toBe(ReferralsErrorCode.IllegalTransition);
          expect((e as ReferralsError).metadata['currentStatus']).toBe(from);
          expect((e as ReferralsError).message).toContain(`is '${from}'`);
          return;
        }
        throw new Error('expected refusal');
      });
    }
  }
});
