import { type GatewayConfig } from '../config/gateway.config';
import { RateLimiter, type RateDelta, type RateStore } from './rate-limiter';

/** The shared table, in memory; counts round trips like the database would see them. */
class MemoryStore implements RateStore {
  readonly rows = new Map<string, number>();
  calls = 0;
  failNext = false;
  async add(deltas: readonly RateDelta[]) {
    this.calls++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('db down');
    }
    const counts = new Map<string, number>();
    for (const d of deltas) {
      const k = `${d.subject}@${d.windowStart}`;
      const n = (this.rows.get(k) ?? 0) + d.delta;
      this.rows.set(k, n);
      counts.set(d.subject, n);
    }
    return { counts, storeNowMs: Date.now() };
  }
  async purge() {
    return 0;
  }
  total(subject: string): number {
    let n = 0;
    for (const [k, v] of this.rows) if (k.startsWith(`${subject}@`)) n += v;
    return n;
  }
}

// A long window, so a test never straddles a boundary.
const config = { rateLimitWindowSeconds: 3600, rateLimitPerWindow: 600 } as GatewayConfig;
const replica = (store: RateStore) => new RateLimiter(config, store);

describe('RateLimiter (local buckets, shared through periodic sync)', () => {
  it('one replica: exact budget, one store round trip for the whole window, 429 data', async () => {
    const store = new MemoryStore();
    const rl = replica(store);
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await rl.hit('sys:a', 3));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions[4]!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(decisions[4]!.retryAfterSeconds).toBeLessThanOrEqual(3600);
    expect(store.calls).toBe(1); // the first hit read the shared total; the rest were local
    await rl.sync();
    expect(store.total('sys:a')).toBe(5);
    expect(store.calls).toBe(2);
  });

  it('concurrent first hits share one load and are all counted', async () => {
    const store = new MemoryStore();
    const rl = replica(store);
    const d = await Promise.all(Array.from({ length: 6 }, () => rl.hit('sys:b', 4)));
    expect(d.filter((x) => x.allowed)).toHaveLength(4);
    expect(store.calls).toBe(1);
  });

  it('replicas share the budget: consumption is seen by the others after a sync', async () => {
    const store = new MemoryStore();
    const a = replica(store);
    const b = replica(store);
    for (let i = 0; i < 6; i++) expect((await a.hit('sys:c', 10)).allowed).toBe(true);
    await a.sync();
    // b starts from the shared total (6), not from zero
    const fromB = [];
    for (let i = 0; i < 5; i++) fromB.push((await b.hit('sys:c', 10)).allowed);
    expect(fromB).toEqual([true, true, true, true, false]);
    // a learns b's hits at its next sync
    await b.sync();
    await a.sync();
    expect((await a.hit('sys:c', 10)).allowed).toBe(false);
    expect(store.total('sys:c')).toBe(11);
  });

  it('overshoot is bounded by what other replicas admit between syncs', async () => {
    const store = new MemoryStore();
    const a = replica(store);
    const b = replica(store);
    await a.hit('sys:d', 4);
    await b.hit('sys:d', 4); // both loaded before either synced
    let admitted = 2;
    for (let i = 0; i < 10; i++) {
      if ((await a.hit('sys:d', 4)).allowed) admitted++;
      if ((await b.hit('sys:d', 4)).allowed) admitted++;
    }
    // each replica alone would stop at 4: together at most 2 × 4 before a sync
    expect(admitted).toBeLessThanOrEqual(8);
    await a.sync();
    await b.sync();
    await a.sync();
    expect((await a.hit('sys:d', 4)).allowed).toBe(false);
    expect((await b.hit('sys:d', 4)).allowed).toBe(false);
  });

  it('a failed sync keeps the hits and pushes them next time', async () => {
    const store = new MemoryStore();
    const rl = replica(store);
    await rl.hit('sys:e', 100);
    await rl.hit('sys:e', 100);
    store.failNext = true;
    await rl.sync();
    expect(store.total('sys:e')).toBe(0);
    await rl.sync();
    expect(store.total('sys:e')).toBe(2);
  });

  it('a failed first load fails the call and is retried by the next one', async () => {
    const store = new MemoryStore();
    const rl = replica(store);
    store.failNext = true;
    await expect(rl.hit('sys:f', 2)).rejects.toThrow('db down');
    expect((await rl.hit('sys:f', 2)).allowed).toBe(true);
  });

  it('hitNow writes every call (the token endpoint)', async () => {
    const store = new MemoryStore();
    const rl = replica(store);
    const d = [];
    for (let i = 0; i < 4; i++) d.push((await rl.hitNow('token:a', 3)).allowed);
    expect(d).toEqual([true, true, true, false]);
    expect(store.calls).toBe(4);
  });
});
