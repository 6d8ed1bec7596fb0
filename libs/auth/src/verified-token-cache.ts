import { type Caller } from './caller';

/**
 * The claims of a verified token, without the per-call end user; `actor` is the user a
 * professional's session token names (RFC 8693 `act.sub`), which then is the call's end user.
 */
export type VerifiedClaims = Omit<Caller, 'userId'> & { actor?: string };

export interface VerifiedTokenCacheOptions {
  /** Most entries held; the least recently used is evicted beyond it (default 10,000). */
  maxEntries?: number;
  /** Longest time a verification is reused, ms (default 60 s); never past the token's `exp`. */
  ttlMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

interface Entry {
  claims: VerifiedClaims;
  /** Epoch ms after which the entry is dead: min(exp, verifiedAt + ttl). */
  until: number;
}

/**
 * Bounded LRU of verified access tokens: key = the compact token itself, value = the verified
 * claims, expiry = min(token `exp`, verification time + TTL). Keyed by the string, not a digest of
 * it: a SHA-256 of the token on every call was ≈ 1.2 % of the gateway's read profile (issue 23),
 * while a Map lookup hashes the string with V8's own string hash and compares it whole, so only the
 * exact token hits. The tokens held are ones the process received and verified (at most
 * `maxEntries`, each dropped once dead when next looked up or evicted as the oldest).
 *
 * Only a successful, complete verification is cached (signature, alg, typ, iss, aud, exp/nbf,
 * lifetime ceiling, Trellis claims); failures are never cached. What the cache does NOT cover, on
 * purpose: system suspension — the guard checks the status registry on every call, cached or not —
 * and the end user (`x-trellis-user`), which is per call. A key withdrawn from the JWKS stops
 * being accepted for new tokens at once, and for already-verified tokens within the TTL at most.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.ttlMs = Math.max(0, options.ttlMs ?? 60_000);
    this.now = options.now ?? Date.now;
  }

  /** The claims of a live entry (refreshing its recency), or undefined (absent or expired). */
  get(token: string): VerifiedClaims | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (this.now() >= entry.until) return undefined;
    this.entries.set(token, entry);
    return entry.claims;
  }

  set(token: string, claims: VerifiedClaims): void {
    const until = Math.min(claims.expiresAt * 1000, this.now() + this.ttlMs);
    if (until <= this.now()) return;
    this.entries.delete(token);
    this.entries.set(token, { claims: Object.freeze({ ...claims }), until });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
