import { RoundScheduler } from './round-scheduler';

const POLL_MS = 200;

/** A round the test finishes by hand (or at once), counting how often it ran. */
function rounds(opts: { manual?: boolean; fail?: boolean } = {}) {
  const state = { started: 0, finish: [] as Array<() => void> };
  const round = () => {
    state.started += 1;
    if (opts.fail) return Promise.reject(new Error('round failed'));
    if (!opts.manual) return Promise.resolve();
    return new Promise<void>((resolve) => state.finish.push(resolve));
  };
  return { state, round };
}

const settle = () => jest.advanceTimersByTimeAsync(0);

describe('RoundScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs a round at start, then one each poll interval after the previous one ended', async () => {
    const { state, round } = rounds();
    const scheduler = new RoundScheduler(round, POLL_MS, () => undefined);
    scheduler.start();
    await settle();
    expect(state.started).toBe(1);
    await jest.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(state.started).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(state.started).toBe(2);
    await scheduler.stop();
  });

  it('woken between polls: runs a round now, without waiting for the interval', async () => {
    const { state, round } = rounds();
    const scheduler = new RoundScheduler(round, POLL_MS, () => undefined);
    scheduler.start();
    await settle();
    scheduler.wake();
    await settle();
    expect(state.started).toBe(2);
    // the poll restarts from that round: nothing more until a whole interval has passed
    await jest.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(state.started).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(state.started).toBe(3);
    await scheduler.stop();
  });

  it('woken during a round: runs one more round right after it (several wakes, one round)', async () => {
    const { state, round } = rounds({ manual: true });
    const scheduler = new RoundScheduler(round, POLL_MS, () => undefined);
    scheduler.start();
    await settle();
    scheduler.wake();
    scheduler.wake();
    expect(state.started).toBe(1); // never two rounds at once
    state.finish.shift()?.();
    await settle();
    expect(state.started).toBe(2);
    state.finish.shift()?.();
    await settle();
    expect(state.started).toBe(2);
    const stopped = scheduler.stop();
    await stopped;
  });

  it('a failed round is reported and the poll goes on', async () => {
    const { state, round } = rounds({ fail: true });
    const errors: unknown[] = [];
    const scheduler = new RoundScheduler(round, POLL_MS, (err) => errors.push(err));
    scheduler.start();
    await settle();
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(state.started).toBe(2);
    expect(errors).toHaveLength(2);
    await scheduler.stop();
  });

  it('after stop: no round, by poll or by wake; stop waits for the round running', async () => {
    const { state, round } = rounds({ manual: true });
    const scheduler = new RoundScheduler(round, POLL_MS, () => undefined);
    scheduler.start();
    await settle();
    let done = false;
    const stopping = scheduler.stop().then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    state.finish.shift()?.();
    await stopping;
    scheduler.wake();
    await jest.advanceTimersByTimeAsync(POLL_MS * 10);
    expect(state.started).toBe(1);
  });
});
