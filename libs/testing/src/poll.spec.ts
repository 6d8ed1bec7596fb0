import { pollUntil, pollUntilTruthy, waitUntil } from './poll';

describe('pollUntil', () => {
  it('resolves the first value that is not undefined, including falsy ones', async () => {
    const answers = [undefined, undefined, 0];
    let calls = 0;
    const value = await pollUntil('a number', () => answers[calls++], { intervalMs: 1 });
    expect(value).toBe(0);
    expect(calls).toBe(3);
  });

  it('rejects after the deadline, naming what it waited for and what it saw', async () => {
    await expect(
      pollUntil('the moon', () => undefined, {
        timeoutMs: 20,
        intervalMs: 1,
        detail: () => 'only stars',
      }),
    ).rejects.toThrow(/timed out after 20 ms waiting for the moon: only stars/);
  });

  it("passes the probe's own error through at once", async () => {
    let calls = 0;
    const failing = (): Promise<undefined> => {
      calls += 1;
      return Promise.reject(new Error('probe broke'));
    };
    await expect(pollUntil('x', failing, { timeoutMs: 60_000 })).rejects.toThrow('probe broke');
    expect(calls).toBe(1);
  });
});

describe('waitUntil', () => {
  it('waits for an async condition to become true', async () => {
    let n = 0;
    await waitUntil('n reaches 3', () => Promise.resolve(++n >= 3), { intervalMs: 1 });
    expect(n).toBe(3);
  });

  it('rejects when the condition never holds', async () => {
    await expect(waitUntil('never', () => false, { timeoutMs: 10, intervalMs: 1 })).rejects.toThrow(
      /waiting for never/,
    );
  });
});

describe('pollUntilTruthy', () => {
  it('skips false and resolves the first truthy value', async () => {
    const answers: Array<string | false> = [false, false, 'ready'];
    let calls = 0;
    await expect(pollUntilTruthy('ready', () => answers[calls++], { intervalMs: 1 })).resolves.toBe(
      'ready',
    );
  });
});
