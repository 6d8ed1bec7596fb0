import { LookupCache } from './lookup-cache';

/** A lookup whose answers the test releases one by one. */
function deferredLookups<V>() {
  const calls: Array<{ resolve: (v: V) => void; reject: (e: Error) => void }> = [];
  const lookup = (): Promise<V> =>
    new Promise<V>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { calls, lookup };
}

describe('LookupCache', () => {
  it('runs one lookup for the callers of a key in flight together, and caches its answer', async () => {
    const cache = new LookupCache<string>(1000);
    const { calls, lookup } = deferredLookups<string>();
    const answers = Promise.all([
      cache.get('a', lookup),
      cache.get('a', lookup),
      cache.get('a', lookup),
    ]);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve('one');
    await expect(answers).resolves.toEqual(['one', 'one', 'one']);
    await expect(cache.get('a', lookup)).resolves.toBe('one');
    expect(calls).toHaveLength(1);
    void cache.get('b', lookup);
    expect(calls).toHaveLength(2);
  });

  it('looks up again once the answer expired', async () => {
    let now = 0;
    const cache = new LookupCache<number>(1000, 10, () => now);
    let n = 0;
    const lookup = (): Promise<number> => Promise.resolve(++n);
    await expect(cache.get('a', lookup)).resolves.toBe(1);
    now = 999;
    await expect(cache.get('a', lookup)).resolves.toBe(1);
    now = 1000;
    await expect(cache.get('a', lookup)).resolves.toBe(2);
  });

  it('forget drops a lookup in flight: later callers start a fresh one and the dropped answer is not kept', async () => {
    const cache = new LookupCache<string>(1000);
    const { calls, lookup } = deferredLookups<string>();
    const before = cache.get('a', lookup);
    cache.forget('a');
    const after = cache.get('a', lookup);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('fresh');
    calls[0]!.resolve('stale');
    await expect(before).resolves.toBe('stale');
    await expect(after).resolves.toBe('fresh');
    await expect(cache.get('a', lookup)).resolves.toBe('fresh');
    expect(calls).toHaveLength(2);
  });

  it('set replaces a lookup in flight with the known answer', async () => {
    const cache = new LookupCache<string>(1000);
    const { calls, lookup } = deferredLookups<string>();
    const joined = cache.get('a', lookup);
    cache.set('a', 'known');
    calls[0]!.resolve('looked-up');
    await expect(joined).resolves.toBe('looked-up');
    await expect(cache.get('a', lookup)).resolves.toBe('known');
    expect(calls).toHaveLength(1);
  });

  it('keeps no failure: every caller in flight sees it, the next caller looks up again', async () => {
    const cache = new LookupCache<string>(1000);
    const { calls, lookup } = deferredLookups<string>();
    const first = cache.get('a', lookup);
    const second = cache.get('a', lookup);
    calls[0]!.reject(new Error('database down'));
    await expect(first).rejects.toThrow('database down');
    await expect(second).rejects.toThrow('database down');
    const retry = cache.get('a', lookup);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('back');
    await expect(retry).resolves.toBe('back');
  });

  it('answers a lookup that throws before returning a promise as a rejection', async () => {
    const cache = new LookupCache<string>(1000);
    await expect(
      cache.get('a', () => {
        throw new Error('no client');
      }),
    ).rejects.toThrow('no client');
  });
});
