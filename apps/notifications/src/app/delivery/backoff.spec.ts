import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  const noJitter = () => 0;

  it('doubles from the base on each failure', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 300_000, noJitter))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
  });

  it('never exceeds the cap, however many attempts (retries go on for as long as retention allows)', () => {
    expect(retryDelayMs(10, 1000, 300_000, noJitter)).toBe(300_000);
    expect(retryDelayMs(10_000, 1000, 300_000, noJitter)).toBe(300_000);
  });

  it('jitters below the value, by at most 20 %', () => {
    expect(retryDelayMs(3, 1000, 300_000, () => 1)).toBe(3200);
    expect(retryDelayMs(3, 1000, 300_000, () => 0.5)).toBe(3600);
  });
});
