import { type GatewayConfig } from '../config/gateway.config';
import { type RateLimiter } from './rate-limiter';
import { BUDGET_TTL_MS, SystemRateBudget, type BudgetSource } from './system-rate-budget';

/** The registry's budgets, in memory; counts the reads the database would see. */
class MemoryBudgets implements BudgetSource {
  readonly rows = new Map<string, number | null>();
  reads = 0;
  async systemBudget(systemId: string): Promise<number | null> {
    this.reads++;
    return this.rows.get(systemId) ?? null;
  }
}

/** A limiter that allows `count <= limit` and records the limits it was asked with. */
function recordingLimiter(): { limiter: RateLimiter; calls: Array<[string, number]> } {
  const calls: Array<[string, number]> = [];
  const counts = new Map<string, number>();
  const limiter = {
    hit: async (subject: string, limit: number) => {
      calls.push([subject, limit]);
      const count = (counts.get(subject) ?? 0) + 1;
      counts.set(subject, count);
      return { allowed: count <= limit, count, limit, retryAfterSeconds: 42 };
    },
  } as unknown as RateLimiter;
  return { limiter, calls };
}

const config = { rateLimitPerWindow: 3 } as GatewayConfig;

describe('SystemRateBudget', () => {
  afterEach(() => jest.useRealTimers());

  it("spends from the system's sys:<id> bucket with the default when it has no own budget", async () => {
    const budgets = new MemoryBudgets();
    const { limiter, calls } = recordingLimiter();
    const b = new SystemRateBudget(limiter, config, budgets);
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(await b.spend('gp-1'));
    expect(waits).toEqual([0, 0, 0, 42]);
    expect(calls).toEqual([
      ['sys:gp-1', 3],
      ['sys:gp-1', 3],
      ['sys:gp-1', 3],
      ['sys:gp-1', 3],
    ]);
  });

  it("a system's own budget overrides the default, per system", async () => {
    const budgets = new MemoryBudgets();
    budgets.rows.set('big', 1000);
    const { limiter, calls } = recordingLimiter();
    const b = new SystemRateBudget(limiter, config, budgets);
    await b.spend('big');
    await b.spend('small');
    expect(calls).toEqual([
      ['sys:big', 1000],
      ['sys:small', 3],
    ]);
  });

  it('reads a budget once per 30 s: a change counts after the cache expires, not before', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-07T21:00:00Z') });
    const budgets = new MemoryBudgets();
    budgets.rows.set('gp-2', 10);
    const { limiter, calls } = recordingLimiter();
    const b = new SystemRateBudget(limiter, config, budgets);
    await b.spend('gp-2');
    budgets.rows.set('gp-2', 20);
    jest.setSystemTime(Date.now() + BUDGET_TTL_MS - 1);
    await b.spend('gp-2');
    expect(budgets.reads).toBe(1);
    jest.setSystemTime(Date.now() + 1);
    await b.spend('gp-2');
    expect(budgets.reads).toBe(2);
    expect(calls.map(([, limit]) => limit)).toEqual([10, 10, 20]);
  });
});
