/**
 * Event-driven revocation. The gateway publishes the full state of every connected system on the
 * compacted topic `trellis.gateway.system.v1` (key = system id). Each service replica replays it
 * from the beginning with its own consumer group, keeps id → status in memory and refuses tokens of
 * suspended systems. Until the replay has reached the high-water marks read at start-up the
 * registry is not ready and the guard refuses calls with UNAVAILABLE (fail closed).
 */

export type SystemStatusValue = 'active' | 'suspended';

export interface SystemStatusUpdate {
  systemId: string;
  status: SystemStatusValue;
  version: number;
  /** Compliance enforcement withdrew the system's write scopes (reads continue). */
  writesRestricted?: boolean;
  /** Region of the system's organisation (issue 18: a regional authority's reads). */
  region?: string;
  /** Scopes the registry allows the system (issue 21: push delivery re-checks them per event). */
  allowedScopes?: readonly string[];
  /** The supplier product version the system deploys (issue 20: a region's versions). */
  productVersionId?: string;
}

/** What the feed says of one known system. */
export interface KnownSystem {
  systemId: string;
  status: SystemStatusValue;
  region?: string;
  productVersionId?: string;
}

export class SystemStatusRegistry {
  private readonly statuses = new Map<
    string,
    {
      status: SystemStatusValue;
      version: number;
      writesRestricted: boolean;
      region?: string;
      allowedScopes?: readonly string[];
      productVersionId?: string;
    }
  >();
  private readyFlag = false;
  private readonly waiters: Array<() => void> = [];
  private lastAppliedAt = 0;

  /** Applies a state; older versions than the one held are ignored (replays, reordering). */
  apply(update: SystemStatusUpdate): void {
    const held = this.statuses.get(update.systemId);
    if (held && held.version > update.version) return;
    this.statuses.set(update.systemId, {
      status: update.status,
      version: update.version,
      writesRestricted: update.writesRestricted === true,
      ...(update.region ? { region: update.region } : {}),
      ...(update.allowedScopes ? { allowedScopes: update.allowedScopes } : {}),
      ...(update.productVersionId ? { productVersionId: update.productVersionId } : {}),
    });
    this.lastAppliedAt = Date.now();
  }

  /** Tombstone: the system record was removed. */
  remove(systemId: string): void {
    this.statuses.delete(systemId);
  }

  isSuspended(systemId: string): boolean {
    return this.statuses.get(systemId)?.status === 'suspended';
  }

  /** Write scopes withdrawn by compliance enforcement (the guard keeps only read scopes). */
  isWritesRestricted(systemId: string): boolean {
    return this.statuses.get(systemId)?.writesRestricted === true;
  }

  /** The region of the system's organisation, when the feed named one. */
  regionOf(systemId: string): string | undefined {
    return this.statuses.get(systemId)?.region;
  }

  /** The scopes the registry allows the system, when the feed named them. */
  allowedScopesOf(systemId: string): readonly string[] | undefined {
    return this.statuses.get(systemId)?.allowedScopes;
  }

  /** Every system the feed named (optionally one region's), in system id order. */
  known(region?: string): KnownSystem[] {
    const out: KnownSystem[] = [];
    for (const [systemId, s] of this.statuses)
      if (region === undefined || s.region === region)
        out.push({
          systemId,
          status: s.status,
          ...(s.region ? { region: s.region } : {}),
          ...(s.productVersionId ? { productVersionId: s.productVersionId } : {}),
        });
    return out.sort((a, b) => (a.systemId < b.systemId ? -1 : a.systemId > b.systemId ? 1 : 0));
  }

  statusOf(systemId: string): SystemStatusValue | undefined {
    return this.statuses.get(systemId)?.status;
  }

  get ready(): boolean {
    return this.readyFlag;
  }

  get size(): number {
    return this.statuses.size;
  }

  get lastUpdateAt(): number {
    return this.lastAppliedAt;
  }

  markReady(): void {
    if (this.readyFlag) return;
    this.readyFlag = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves true once ready, false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.readyFlag) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.readyFlag), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

/** A source of status updates (the Kafka feed in services, a static list in unit tests). */
export interface SystemStatusFeed {
  start(registry: SystemStatusRegistry): Promise<void>;
  stop(): Promise<void>;
}

/** Feed that marks the registry ready at once and never changes it (unit tests, tools). */
export class StaticSystemStatusFeed implements SystemStatusFeed {
  constructor(private readonly initial: readonly SystemStatusUpdate[] = []) {}
  async start(registry: SystemStatusRegistry): Promise<void> {
    for (const u of this.initial) registry.apply(u);
    registry.markReady();
  }
  async stop(): Promise<void> {}
}

/**
 * A readiness check for the platform HealthRegistry: not ready until the suspension replay is
 * complete (calls would be refused UNAVAILABLE meanwhile). Usage:
 * `health.register('auth-suspension-feed', authReadinessCheck(registry))` with the registry
 * injected by the AUTH_STATUS_REGISTRY token.
 */
export function authReadinessCheck(registry: SystemStatusRegistry): () => void {
  return () => {
    if (!registry.ready) throw new Error('suspension feed replay not complete');
  };
}
