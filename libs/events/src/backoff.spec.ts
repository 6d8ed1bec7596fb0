import { backoffDelay, sleep } from './backoff';

describe('backoffDelay', () => {
  const mid = () => 0.5; // no jitter
  it('grows exponentially up to the ceiling', () => {
    const delays = [1, 2, 3, 4, 5, 10].map((a) =>
      backoffDelay(a, { initialMs: 100, maxMs: 1000 }, mid),
    );
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('jitters within ±jitter and never exceeds the ceiling', () => {
    expect(backoffDelay(1, { initialMs: 100, jitter: 0.2 }, () => 0)).toBe(80);
    expect(backoffDelay(1, { initialMs: 100, jitter: 0.2 }, () => 0.999999)).toBe(120);
    expect(backoffDelay(9, { initialMs: 100, maxMs: 500, jitter: 0.5 }, () => 0.999)).toBe(500);
  });
});

describe('sleep', () => {
  it('ends early when aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const p = sleep(10_000, controller.signal);
    controller.abort();
    await p;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
