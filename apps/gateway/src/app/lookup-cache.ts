type Entry<V> = { value: V; until: number } | { pending: Promise<V> };

/**
 * A short-lived cache of a per-key lookup that the requests in flight share: while a lookup of a
 * key runs, every caller of that key joins it instead of starting its own. Without that, when an
 * entry expired under load every request in flight missed at once and each queried the database
 * (287 open-session queries for ≈ 1,600 requests at 64 connections, docs/performance.md).
 *
 * `forget` drops a key whether it holds an answer or a lookup in flight: a caller after it starts
 * a fresh lookup, and the answer of the lookup dropped is not kept. A failed lookup is not kept
 * either (its callers see the failure; the next caller tries again).
 */
export class LookupCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, lookup: () => Promise<V>): Promise<V> {
    const held = this.entries.get(key);
    if (held && 'pending' in held) return held.pending;
    if (held && held.until > this.now()) return Promise.resolve(held.value);
    let pending: Promise<V>;
    try {
      pending = lookup();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const entry: Entry<V> = { pending };
    this.put(key, entry);
    return pending.then(
      (value) => {
        if (this.entries.get(key) === entry)
          this.put(key, { value, until: this.now() + this.ttlMs });
        return value;
      },
      (err: unknown) => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw err;
      },
    );
  }

  /** An answer known without a lookup (this replica's own change); replaces a lookup in flight. */
  set(key: string, value: V): void {
    this.put(key, { value, until: this.now() + this.ttlMs });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  private put(key: string, entry: Entry<V>): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, entry);
  }
}
