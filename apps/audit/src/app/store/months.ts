/** Calendar-month arithmetic in UTC for the monthly partitions of access_events. */

/** First instant (UTC) of the month `offset` months after the month of `at`. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

/** Partition name of the month starting at `start`: access_events_y2026m12. */
export function partitionName(start: Date): string {
  const m = String(start.getUTCMonth() + 1).padStart(2, '0');
  return `access_events_y${start.getUTCFullYear()}m${m}`;
}

/**
 * The retention window at `now`: events recorded at or after `cutoff` are kept (the current month
 * and `retentionMonths` whole months before it), partitions are created up to `horizon` (exclusive:
 * `ahead` months after the current one). An event outside [cutoff, horizon) is not stored.
 */
export function retentionWindow(
  now: Date,
  retentionMonths: number,
  ahead: number,
): { cutoff: Date; horizon: Date } {
  return { cutoff: monthStart(now, -retentionMonths), horizon: monthStart(now, ahead + 1) };
}

/** Every month start in [from, to). */
export function monthsBetween(from: Date, to: Date): Date[] {
  const out: Date[] = [];
  for (let m = monthStart(from); m < to; m = monthStart(m, 1)) out.push(m);
  return out;
}
