import { calendarDaysBetween, dateAfter, rttStatus } from './rtt';

const d = (iso: string) => new Date(iso);

describe('RTT clock arithmetic', () => {
  it('counts whole UTC calendar days, a leap day included', () => {
    expect(calendarDaysBetween(d('2028-02-28T23:59:00Z'), d('2028-03-01T00:01:00Z'))).toBe(2);
    expect(calendarDaysBetween(d('2027-02-28T23:59:00Z'), d('2027-03-01T00:01:00Z'))).toBe(1);
    expect(calendarDaysBetween(d('2028-01-01T00:00:00Z'), d('2029-01-01T00:00:00Z'))).toBe(366);
  });

  it('breaches 18 weeks after day 126, not on it', () => {
    const startedAt = d('2028-01-10T09:00:00Z');
    const on126 = rttStatus({ priority: 'routine', startedAt }, d('2028-05-15T23:00:00Z'));
    expect(on126).toMatchObject({
      daysWaited: 126,
      weeksWaited: 18,
      breached18Weeks: false,
      running: true,
    });
    const on127 = rttStatus({ priority: 'routine', startedAt }, d('2028-05-16T00:30:00Z'));
    expect(on127).toMatchObject({ daysWaited: 127, weeksWaited: 18, breached18Weeks: true });
  });

  it('reports the breach dates: day 127 for 18 weeks, day 15 for two-week-wait only', () => {
    const startedAt = d('2028-01-10T23:30:00Z');
    const routine = rttStatus({ priority: 'routine', startedAt }, d('2028-01-11T00:00:00Z'));
    expect(routine.breachDate).toBe('2028-05-16');
    expect(routine.twoWeekWaitBreachDate).toBeUndefined();
    // on the breach date itself the flag turns true (the two rules agree)
    expect(rttStatus({ priority: 'routine', startedAt }, d('2028-05-16T00:00:00Z'))).toMatchObject({
      breached18Weeks: true,
    });
    expect(rttStatus({ priority: 'routine', startedAt }, d('2028-05-15T23:59:00Z'))).toMatchObject({
      breached18Weeks: false,
    });
    const tww = rttStatus(
      { priority: 'two-week-wait', startedAt: d('2028-02-20T10:00:00Z') },
      d('2028-02-21T00:00:00Z'),
    );
    expect(tww.twoWeekWaitBreachDate).toBe('2028-03-06'); // across 29 February
    expect(dateAfter(d('2027-12-31T12:00:00Z'), 1)).toBe('2028-01-01');
  });

  it('freezes at the stop and flags two-week-wait by first appointment date', () => {
    const startedAt = d('2028-02-20T10:00:00Z');
    const ok = rttStatus(
      { priority: 'two-week-wait', startedAt, firstAppointmentAt: d('2028-03-05T08:00:00Z') },
      d('2029-01-01T00:00:00Z'),
    );
    expect(ok.breachedTwoWeekWait).toBe(false); // 14 days across 29 Feb
    const late = rttStatus(
      { priority: 'two-week-wait', startedAt, firstAppointmentAt: d('2028-03-06T08:00:00Z') },
      d('2028-03-07T00:00:00Z'),
    );
    expect(late.breachedTwoWeekWait).toBe(true);
    const none = rttStatus({ priority: 'two-week-wait', startedAt }, d('2028-03-06T00:00:00Z'));
    expect(none.breachedTwoWeekWait).toBe(true);
    const stopped = rttStatus(
      { priority: 'routine', startedAt, stoppedAt: d('2028-03-01T00:00:00Z') },
      d('2030-01-01T00:00:00Z'),
    );
    expect(stopped).toMatchObject({ running: false, daysWaited: 10, breached18Weeks: false });
  });
});
