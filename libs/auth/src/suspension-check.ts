import { type SystemStatusRegistry, type SystemStatusUpdate } from './system-status';

/**
 * Where a service reads a system's status directly when its feed cannot be trusted: the gateway,
 * whose registry table is the source of the feed. Consulted while the feed has not replayed
 * (Kafka unreachable) and after every status change until it is published and had time to arrive.
 */
export interface SystemStatusFallback {
  /** The system's current state (undefined: unknown system, the registry's answer stands). */
  lookup(systemId: string): Promise<SystemStatusUpdate | undefined>;
  /** A cheap value that changes with every status change (e.g. row count and version sum). */
  changeMark?(): Promise<string>;
  /** True while status changes wait to be published (asked after a change, until false). */
  unpublished?(): Promise<boolean>;
  /** How long a lookup answer is reused (default 1,000 ms; cleared on every change). */
  ttlMs?: number;
  /** How often the change mark is read (default 200 ms). */
  markTtlMs?: number;
  /** After the changes are published: how long the fallback still answers (default 5,000 ms). */
  settleMs?: number;
}

/** The suspension feed's connection state, as its lifecycle last saw it. */
export type SuspensionFeedState = 'starting' | 'live' | 'down';

/** A call's view of its system; refused while `available` is false (fail closed). */
export type SystemStatusCheck =
  | { available: false; reason: string }
  | {
      available: true;
      suspended: boolean;
      writesRestricted: boolean;
      /** `vouch`: the gateway's vouch for this call, while the feed has not replayed. */
      source: 'feed' | 'fallback' | 'vouch';
    };

type Verdict = { suspended: boolean; writesRestricted: boolean };

/**
 * The suspension check of every authenticated call. Without a fallback: the feed-fed registry,
 * once replayed (a call waits a bounded time, then is refused UNAVAILABLE). With a fallback (the
 * gateway): the fallback's answer while the registry has not replayed, and from the moment a status
 * change is seen (change mark, read every `markTtlMs`) until it is published plus `settleMs` — so
 * a suspended system is refused whether or not Kafka is reachable.
 */
export class SuspensionCheck {
  private feed: { state: SuspensionFeedState; error?: string } = { state: 'starting' };
  private readonly looked = new Map<
    string,
    { at: number; value: SystemStatusUpdate | undefined }
  >();
  private mark: { at: number; value: Promise<string | undefined> } | undefined;
  private lastMark: string | undefined;
  /** A change was seen and not yet confirmed published (checked at most every ttlMs). */
  private pending: { checkedAt: number } | undefined;
  private settleUntil = 0;

  constructor(
    readonly registry: SystemStatusRegistry,
    private readonly fallback?: SystemStatusFallback,
    private readonly now: () => number = Date.now,
  ) {}

  /** Set by the feed's lifecycle: `down` while a start attempt failed and another is pending. */
  setFeedState(state: SuspensionFeedState, error?: string): void {
    this.feed = { state, ...(error ? { error } : {}) };
  }

  get feedState(): { state: SuspensionFeedState; error?: string } {
    return this.feed;
  }

  get hasFallback(): boolean {
    return this.fallback !== undefined;
  }

  async check(systemId: string, readyTimeoutMs: number): Promise<SystemStatusCheck> {
    const registry = this.registry;
    const fallback = this.fallback;
    if (!fallback) {
      if (!registry.ready && !(await registry.whenReady(readyTimeoutMs)))
        return { available: false, reason: 'system status replay incomplete' };
      return { available: true, ...this.held(systemId), source: 'feed' };
    }
    try {
      // read first in every state: a change clears the cached lookups at once
      const behind = await this.feedMayBeBehind(fallback);
      if (registry.ready && !behind)
        return { available: true, ...this.held(systemId), source: 'feed' };
      const found = await this.lookup(fallback, systemId);
      // the table is the feed's source: its answer is at least as new as the registry's
      const verdict = found
        ? {
            suspended: found.status === 'suspended',
            writesRestricted: found.writesRestricted === true,
          }
        : registry.ready
          ? this.held(systemId)
          : { suspended: false, writesRestricted: false };
      return { available: true, ...verdict, source: 'fallback' };
    } catch (err) {
      return { available: false, reason: `system status fallback failed: ${String(err)}` };
    }
  }

  private held(systemId: string): Verdict {
    return {
      suspended: this.registry.isSuspended(systemId),
      writesRestricted: this.registry.isWritesRestricted(systemId),
    };
  }

  /** Seen a change not yet published, or published less than `settleMs` ago. */
  private async feedMayBeBehind(fallback: SystemStatusFallback): Promise<boolean> {
    if (!fallback.changeMark) return false;
    const mark = await this.changeMark(fallback);
    if (mark !== undefined && mark !== this.lastMark) {
      this.lastMark = mark;
      this.looked.clear();
      this.pending = { checkedAt: Number.NEGATIVE_INFINITY };
    }
    const now = this.now();
    if (this.pending && now - this.pending.checkedAt >= (fallback.ttlMs ?? 1_000)) {
      this.pending.checkedAt = now;
      // a failed probe keeps the change pending: the lookup decides (and fails closed if it fails)
      const unpublished = fallback.unpublished
        ? await fallback.unpublished().catch(() => true)
        : false;
      if (!unpublished) {
        this.pending = undefined;
        this.settleUntil = now + (fallback.settleMs ?? 5_000);
      }
    }
    return this.pending !== undefined || now < this.settleUntil;
  }

  private changeMark(fallback: SystemStatusFallback): Promise<string | undefined> {
    const ttl = fallback.markTtlMs ?? 200;
    if (this.mark && this.now() - this.mark.at < ttl) return this.mark.value;
    // the table unreadable: no change can be committed either, the registry stands
    const value = fallback.changeMark!().catch(() => undefined);
    this.mark = { at: this.now(), value };
    return value;
  }

  private async lookup(
    fallback: SystemStatusFallback,
    systemId: string,
  ): Promise<SystemStatusUpdate | undefined> {
    const ttl = fallback.ttlMs ?? 1_000;
    const hit = this.looked.get(systemId);
    if (hit && this.now() - hit.at < ttl) return hit.value;
    const value = await fallback.lookup(systemId);
    if (this.looked.size >= 10_000) this.looked.clear();
    this.looked.set(systemId, { at: this.now(), value });
    return value;
  }
}

/**
 * Readiness detail of the suspension feed, registered non-critical: with a fallback (the gateway)
 * calls are still checked, against the database; with gateway vouches (the platforms) the calls
 * that carry one are served; otherwise calls are refused until the replay completes.
 */
export function suspensionFeedCheck(
  check: SuspensionCheck,
  options: { vouched?: boolean } = {},
): () => void {
  return () => {
    if (check.registry.ready) return;
    const { state, error } = check.feedState;
    const why = state === 'down' ? `unreachable (${error ?? 'unknown error'})` : 'replaying';
    throw new Error(
      check.hasFallback
        ? `${why}: suspensions checked against the database on each call meanwhile`
        : options.vouched
          ? `degraded (gateway-vouched calls only): ${why}; calls without the gateway's vouch are refused until the replay completes`
          : `${why}: calls refused until the replay completes`,
    );
  };
}
