import { monthsBetween, monthStart, partitionName, retentionWindow } from './months';

describe('audit partition months', () => {
  const at = new Date('2026-12-06T20:30:00Z');

  it('names the month partition in UTC', () => {
    expect(partitionName(monthStart(at))).toBe('access_events_y2026m12');
    expect(partitionName(monthStart(new Date('2027-01-01T00:00:00Z'), -1))).toBe(
      'access_events_y2026m12',
    );
  });

  it('keeps the current month and N whole months before it, creates M months ahead', () => {
    const w = retentionWindow(at, 3, 2);
    expect(w.cutoff.toISOString()).toBe('2026-09-01T00:00:00.000Z');
    expect(w.horizon.toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect(monthsBetween(w.cutoff, w.horizon).map(partitionName)).toEqual([
      'access_events_y2026m09',
      'access_events_y2026m10',
      'access_events_y2026m11',
      'access_events_y2026m12',
      'access_events_y2027m01',
      'access_events_y2027m02',
    ]);
  });
});
