/**
 * Referral-to-treatment clock arithmetic (NHS RTT rules, simplified): the clock starts when the
 * referral is sent and stops at first definitive treatment or a decision not to treat.
 * Days waited are whole calendar days in UTC between the start date and the stop date (or today):
 * a leap day is a day like any other. Weeks waited = floor(days / 7).
 * Breaches: more than 18 weeks (126 days) for every referral; for two-week-wait referrals a first
 * appointment more than 14 days after the referral was sent (or none yet once 14 days have passed).
 * The same rules are written in SQL for the waiting lists (referrals.repository.ts): keep them equal.
 */
export const RTT_BREACH_DAYS = 18 * 7;
export const TWO_WEEK_WAIT_DAYS = 14;
const DAY_MS = 86_400_000;

export type RttStopReason =
  'first-definitive-treatment' | 'decision-not-to-treat' | 'referral-closed';

export interface RttInput {
  priority: 'routine' | 'urgent' | 'two-week-wait';
  startedAt: Date;
  stoppedAt?: Date | null;
  firstAppointmentAt?: Date | null;
}

export interface RttStatus {
  running: boolean;
  daysWaited: number;
  weeksWaited: number;
  breached18Weeks: boolean;
  breachedTwoWeekWait: boolean;
  /** First UTC date (YYYY-MM-DD) on which a pathway still waiting breaches 18 weeks (day 127). */
  breachDate: string;
  /** two-week-wait only: first UTC date without a first appointment that breaches (day 15). */
  twoWeekWaitBreachDate?: string;
}

/** The UTC date `days` calendar days after `from`'s date, as YYYY-MM-DD. */
export function dateAfter(from: Date, days: number): string {
  const d = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()) + days * DAY_MS;
  return new Date(d).toISOString().slice(0, 10);
}

/** Whole UTC calendar days from a to b (b's date minus a's date). */
export function calendarDaysBetween(a: Date, b: Date): number {
  const da = Date.UTC(a.getUTCFullYear(), a.getUTCMonth(), a.getUTCDate());
  const db = Date.UTC(b.getUTCFullYear(), b.getUTCMonth(), b.getUTCDate());
  return Math.round((db - da) / DAY_MS);
}

export function rttStatus(r: RttInput, now: Date): RttStatus {
  const end = r.stoppedAt ?? now;
  const daysWaited = Math.max(0, calendarDaysBetween(r.startedAt, end));
  let breachedTwoWeekWait = false;
  if (r.priority === 'two-week-wait') {
    breachedTwoWeekWait = r.firstAppointmentAt
      ? calendarDaysBetween(r.startedAt, r.firstAppointmentAt) > TWO_WEEK_WAIT_DAYS
      : calendarDaysBetween(r.startedAt, end) > TWO_WEEK_WAIT_DAYS;
  }
  return {
    running: !r.stoppedAt,
    daysWaited,
    weeksWaited: Math.floor(daysWaited / 7),
    breached18Weeks: daysWaited > RTT_BREACH_DAYS,
    breachedTwoWeekWait,
    breachDate: dateAfter(r.startedAt, RTT_BREACH_DAYS + 1),
    ...(r.priority === 'two-week-wait'
      ? { twoWeekWaitBreachDate: dateAfter(r.startedAt, TWO_WEEK_WAIT_DAYS + 1) }
      : {}),
  };
}

/** Weeks-waited bands of the waiting lists (inclusive bounds; max undefined = open-ended). */
export const WAITING_BANDS: readonly { label: string; min: number; max?: number }[] = [
  { label: '0-5', min: 0, max: 5 },
  { label: '6-11', min: 6, max: 11 },
  { label: '12-17', min: 12, max: 17 },
  { label: '18-25', min: 18, max: 25 },
  { label: '26-51', min: 26, max: 51 },
  { label: '52+', min: 52 },
];
