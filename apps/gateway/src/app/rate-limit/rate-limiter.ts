import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';

export interface RateDecision {
  allowed: boolean;
  count: number;
  limit: number;
  retryAfterSeconds: number;
}

/** One subject's consumption to add to its window row. */
export interface RateDelta {
  subject: string;
  /** Window start, epoch seconds. */
  windowStart: number;
  delta: number;
}

/**
 * The shared counters (PostgreSQL `rate_limit_windows` through RateLimitRepository; an in-memory
 * table in unit tests).
 */
export interface RateStore {
  /** Adds every delta to its row (creating it) and returns each row's new total + the store clock. */
  add(deltas: readonly RateDelta[]): Promise<{ counts: Map<string, number>; storeNowMs: number }>;
  /** Deletes windows that started before `beforeEpochSeconds`. */
  purge(beforeEpochSeconds: number): Promise<number>;
}

export const RATE_STORE = Symbol('GATEWAY_RATE_STORE');

/** How often each replica pushes its consumption and pulls the others' (ms). */
export const RATE_SYNC_INTERVAL_MS = 250;

interface Bucket {
  windowStart: number;
  /** The window's total in the store as of the last sync (this replica's flushed hits included). */
  shared: number;
  /** Hits on this replica not yet added to the store. */
  pending: number;
  /** The first hit of the window reads the shared total before deciding. */
  loading: Promise<void> | undefined;
}

/**
 * Fixed-window budgets shared by every gateway replica without a database round trip per request.
 * Each replica counts locally (a bucket per subject and window) and every 250 ms adds its new hits
 * to `rate_limit_windows` with one multi-row UPSERT, learning the other replicas' totals in the
 * same statement. Only the first hit of a subject in a window waits for the database (it reads
 * the shared total, so a restarted replica does not start from zero). Window boundaries follow
 * the database clock (offset measured at each sync), so replicas agree.
 *
 * Bounded overshoot: a replica sees the others' hits at most one sync interval late, so with R
 * replicas a system can exceed its budget by what the other R−1 replicas admit for it in one
 * interval — at most (R−1) × (its per-replica rate) × 0.25 s, and never more than (R−1) × limit
 * per window. With one replica the budget is exact. `hitNow` keeps the strict per-call UPSERT for
 * low-rate, security-sensitive counters (the token endpoint).
 */
@Injectable()
export class RateLimiter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimiter');
  private readonly buckets = new Map<string, Bucket>();
  private offsetMs = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(RATE_STORE) private readonly store: RateStore,
  ) {}

  onModuleInit(): void {
    this.syncTimer = setInterval(() => void this.sync(), RATE_SYNC_INTERVAL_MS);
    this.syncTimer.unref();
    this.purgeTimer = setInterval(() => {
      const keep = this.config.rateLimitWindowSeconds * 2;
      this.store
        .purge(Math.floor(this.nowMs() / 1000) - keep)
        .catch((e: unknown) => this.logger.warn(`rate-limit purge failed: ${String(e)}`));
    }, 60_000);
    this.purgeTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.sync(); // hand this replica's last hits to the others
  }

  /** Counts one hit locally; waits for the store only on the subject's first hit in a window. */
  async hit(subject: string, limit: number): Promise<RateDecision> {
    const w = this.config.rateLimitWindowSeconds;
    const windowStart = Math.floor(this.nowMs() / 1000 / w) * w;
    let bucket = this.buckets.get(subject);
    if (!bucket || bucket.windowStart !== windowStart) {
      const fresh: Bucket = { windowStart, shared: 0, pending: 0, loading: undefined };
      fresh.loading = this.load(subject, fresh).finally(() => (fresh.loading = undefined));
      this.buckets.set(subject, fresh);
      bucket = fresh;
    }
    if (bucket.loading) {
      try {
        await bucket.loading;
      } catch (err) {
        if (this.buckets.get(subject) === bucket) this.buckets.delete(subject);
        throw err;
      }
    }
    bucket.pending++;
    return this.decide(bucket, limit);
  }

  /** Strict variant: one UPSERT per call (`count + 1 … RETURNING`). */
  async hitNow(subject: string, limit: number): Promise<RateDecision> {
    const w = this.config.rateLimitWindowSeconds;
    const windowStart = Math.floor(this.nowMs() / 1000 / w) * w;
    const { counts, storeNowMs } = await this.store.add([{ subject, windowStart, delta: 1 }]);
    this.offsetMs = storeNowMs - Date.now();
    const count = counts.get(subject) ?? 1;
    return {
      allowed: count <= limit,
      count,
      limit,
      retryAfterSeconds: this.retryAfter(windowStart),
    };
  }

  /** Pushes pending hits and refreshes the shared totals of the current windows. */
  sync(): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = this.syncOnce().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const w = this.config.rateLimitWindowSeconds;
    const current = Math.floor(this.nowMs() / 1000 / w) * w;
    const batch: Array<{ bucket: Bucket; delta: RateDelta }> = [];
    for (const [subject, bucket] of this.buckets) {
      if (bucket.loading) continue;
      if (bucket.windowStart < current) {
        this.buckets.delete(subject); // window over: its remaining hits no longer matter
        continue;
      }
      batch.push({
        bucket,
        delta: { subject, windowStart: bucket.windowStart, delta: bucket.pending },
      });
    }
    if (batch.length === 0) return;
    try {
      const { counts, storeNowMs } = await this.store.add(batch.map((b) => b.delta));
      this.offsetMs = storeNowMs - Date.now();
      for (const { bucket, delta } of batch) {
        bucket.pending -= delta.delta;
        bucket.shared = counts.get(delta.subject) ?? bucket.shared + delta.delta;
      }
    } catch (e) {
      this.logger.warn(`rate-limit sync failed (hits kept, retried): ${String(e)}`);
    }
  }

  private async load(subject: string, bucket: Bucket): Promise<void> {
    const { counts, storeNowMs } = await this.store.add([
      { subject, windowStart: bucket.windowStart, delta: 0 },
    ]);
    this.offsetMs = storeNowMs - Date.now();
    bucket.shared = counts.get(subject) ?? 0;
  }

  private decide(bucket: Bucket, limit: number): RateDecision {
    const count = bucket.shared + bucket.pending;
    return {
      allowed: count <= limit,
      count,
      limit,
      retryAfterSeconds: this.retryAfter(bucket.windowStart),
    };
  }

  private retryAfter(windowStart: number): number {
    const end = windowStart + this.config.rateLimitWindowSeconds;
    return Math.max(1, Math.ceil(end - this.nowMs() / 1000));
  }

  /** The store's (database) clock as estimated from the last round trip. */
  private nowMs(): number {
    return Date.now() + this.offsetMs;
  }
}
