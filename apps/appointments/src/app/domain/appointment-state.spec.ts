import { thrownBy } from '@trellis/testing';
import {
  applyTransition,
  assertTiming,
  canApply,
  TERMINAL_STATES,
  TRANSITIONS,
  type AppointmentAction,
  type AppointmentState,
} from './appointment-state';
import { AppointmentsError, AppointmentsErrorCode } from './appointments.errors';

const ALL_STATES: AppointmentState[] = ['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow'];
const ALL_ACTIONS = Object.keys(TRANSITIONS) as AppointmentAction[];

const errorOf = (fn: () => unknown): AppointmentsError => thrownBy(fn, AppointmentsError);

describe('appointment state machine', () => {
  it.each([
    ['booked', 'arrive', 'arrived'],
    ['arrived', 'fulfil', 'fulfilled'],
    ['booked', 'cancel', 'cancelled'],
    ['booked', 'no-show', 'noshow'],
    ['booked', 'reschedule', 'booked'],
  ] as const)('%s --%s--> %s', (from, action, to) => {
    expect(applyTransition(from, action)).toBe(to);
  });

  it('allows exactly the five documented transitions', () => {
    const allowed = ALL_STATES.flatMap((s) =>
      ALL_ACTIONS.filter((a) => canApply(s, a)).map((a) => `${s}:${a}`),
    );
    expect(allowed.sort()).toEqual([
      'arrived:fulfil',
      'booked:arrive',
      'booked:cancel',
      'booked:no-show',
      'booked:reschedule',
    ]);
  });

  it.each(TERMINAL_STATES.flatMap((s) => ALL_ACTIONS.map((a) => [s, a] as const)))(
    'refuses %s --%s with the current state',
    (state, action) => {
      const err = errorOf(() => applyTransition(state, action));
      expect(err.code).toBe(AppointmentsErrorCode.IllegalTransition);
      expect(err.kind).toBe('FAILED_PRECONDITION');
      expect(err.metadata['currentState']).toBe(state);
      expect(err.message).toContain(`'${state}'`);
    },
  );

  it('refuses fulfilling an appointment that never arrived', () => {
    const err = errorOf(() => applyTransition('booked', 'fulfil'));
    expect(err.metadata).toMatchObject({
      currentState: 'booked',
      action: 'fulfil',
      allowedFrom: 'arrived',
    });
  });
});

describe('timing rules', () => {
  const start = new Date('2030-01-01T10:00:00Z');
  it('refuses a no-show before the start', () => {
    expect(
      errorOf(() => assertTiming('no-show', start, new Date('2030-01-01T09:59:59Z'))).code,
    ).toBe(AppointmentsErrorCode.TooEarly);
    expect(() => assertTiming('no-show', start, start)).not.toThrow();
  });
  it('refuses cancel and reschedule once started', () => {
    expect(errorOf(() => assertTiming('cancel', start, start)).code).toBe(
      AppointmentsErrorCode.SlotInPast,
    );
    expect(
      errorOf(() => assertTiming('reschedule', start, new Date('2030-01-02T00:00:00Z'))).code,
    ).toBe(AppointmentsErrorCode.SlotInPast);
    expect(() => assertTiming('cancel', start, new Date('2029-12-31T10:00:00Z'))).not.toThrow();
  });
  it('refuses an arrival days before the slot or hours after it, within 2 hours either side', () => {
    const end = new Date(start.getTime() + 30 * 60_000);
    const at = (ms: number) => new Date(start.getTime() + ms);
    const HOUR = 60 * 60_000;
    const early = errorOf(() => assertTiming('arrive', start, at(-3 * 24 * HOUR), end));
    expect(early.code).toBe(AppointmentsErrorCode.TooEarly);
    expect(early.violations).toEqual([
      expect.objectContaining({ field: 'appointment_id', rule: 'arrival.too-early' }),
    ]);
    expect(errorOf(() => assertTiming('arrive', start, at(-2 * HOUR - 1), end)).code).toBe(
      AppointmentsErrorCode.TooEarly,
    );
    expect(() => assertTiming('arrive', start, at(-2 * HOUR), end)).not.toThrow();
    expect(() => assertTiming('arrive', start, at(10 * 60_000), end)).not.toThrow();
    expect(() => assertTiming('arrive', start, at(30 * 60_000 + 2 * HOUR), end)).not.toThrow();
    const late = errorOf(() => assertTiming('arrive', start, at(30 * 60_000 + 2 * HOUR + 1), end));
    expect(late.code).toBe(AppointmentsErrorCode.TooLate);
    expect(late.violations).toEqual([
      expect.objectContaining({ field: 'appointment_id', rule: 'arrival.too-late' }),
    ]);
  });
});
