import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

import { type Caller } from './caller';
import { AuthError, AuthErrorCode } from './errors';
import { CITIZEN_SUBJECT_PREFIX } from './patient-access';
import { splitScopes } from './scopes';
import {
  ACCESS_TOKEN_TYPE,
  ALLOWED_ALGORITHMS,
  DEFAULT_ACCESS_TOKEN_AUDIENCE,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
} from './token-claims';
import {
  VerifiedTokenCache,
  type VerifiedClaims,
  type VerifiedTokenCacheOptions,
} from './verified-token-cache';

export interface AccessTokenVerifierOptions {
  /** Expected `iss` (the gateway's public base URL). */
  issuer: string;
  /** Expected `aud`. */
  audience?: string;
  /** Gateway JWKS URL; ignored when `keySet` is given. */
  jwksUrl?: string;
  /** Key resolver (tests: `createLocalJWKSet`). */
  keySet?: JWTVerifyGetKey;
  /** Allowed clock skew, seconds (default 5). */
  clockToleranceSeconds?: number;
  /** How long a fetched JWKS is trusted before refetching, ms (default 10 min). */
  jwksCacheMaxAgeMs?: number;
  /** Minimum time between refetches triggered by an unknown `kid`, ms (default 5 s). */
  jwksCooldownMs?: number;
  /**
   * Verified-token cache (default on: 10,000 entries, 60 s): a token already verified is not
   * verified again until min(exp, TTL). `false` verifies every call. Suspension is not cached.
   */
  cache?: VerifiedTokenCacheOptions | false;
  /** Clock, epoch ms (tests); also the "current date" of exp/nbf checks. */
  now?: () => number;
}

const CLAIM_STRING = /^[\x21-\x7e]{1,128}$/;

/**
 * Verifies platform access tokens: signature against the gateway JWKS (cached; jose refetches when a
 * token names an unknown `kid`, at most once per cooldown), `alg` in RS384/ES384 only (so `none` and
 * HS* are refused), `typ` at+jwt, `iss`, `aud`, `exp`/`nbf` with small skew, and a lifetime ceiling.
 */
export class AccessTokenVerifier {
  private readonly keySet: JWTVerifyGetKey;
  private readonly audience: string;
  private readonly tolerance: number;
  private readonly now: () => number;
  private readonly cache: VerifiedTokenCache | undefined;

  constructor(private readonly options: AccessTokenVerifierOptions) {
    this.audience = options.audience ?? DEFAULT_ACCESS_TOKEN_AUDIENCE;
    this.tolerance = options.clockToleranceSeconds ?? 5;
    this.now = options.now ?? Date.now;
    this.cache =
      options.cache === false
        ? undefined
        : new VerifiedTokenCache({ now: this.now, ...(options.cache ?? {}) });
    if (options.keySet) {
      this.keySet = options.keySet;
    } else if (options.jwksUrl) {
      this.keySet = createRemoteJWKSet(new URL(options.jwksUrl), {
        cacheMaxAge: options.jwksCacheMaxAgeMs ?? 10 * 60_000,
        cooldownDuration: options.jwksCooldownMs ?? 5_000,
        timeoutDuration: 5_000,
      });
    } else {
      throw new Error('AccessTokenVerifier needs jwksUrl or keySet');
    }
  }

  /**
   * Verifies a compact JWT and returns the caller; throws AuthError on any failure. A token
   * verified before is answered from the cache until min(exp, TTL); the caller (the guard) still
   * checks suspension on every call.
   */
  async verify(token: string, endUserId?: string): Promise<Caller> {
    let claims = this.cache?.get(token);
    if (!claims) {
      claims = await this.verifySignedToken(token);
      this.cache?.set(token, claims);
    }
    // a professional's session token names its user (RFC 8693 `act`): that, not the header
    const { actor, ...caller } = claims;
    if (actor) return { ...caller, userId: actor };
    const userId = endUserId && CLAIM_STRING.test(endUserId) ? endUserId : undefined;
    return { ...caller, ...(userId ? { userId } : {}) };
  }

  /** The gateway's key set (the JWKS), shared with the vouch verifier. */
  get keys(): JWTVerifyGetKey {
    return this.keySet;
  }

  /** Drops every cached verification (e.g. after a signing key was withdrawn). */
  clearCache(): void {
    this.cache?.clear();
  }

  private async verifySignedToken(token: string): Promise<VerifiedClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet, {
        currentDate: new Date(this.now()),
        issuer: this.options.issuer,
        audience: this.audience,
        algorithms: [...ALLOWED_ALGORITHMS],
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: this.tolerance,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      }));
    } catch (err) {
      if (isKeySetUnavailable(err)) {
        throw new AuthError(AuthErrorCode.AuthUnavailable, 'token keys unavailable', describe(err));
      }
      throw new AuthError(AuthErrorCode.InvalidToken, 'invalid access token', describe(err));
    }
    const { exp, iat, sub, jti } = payload as Required<
      Pick<JWTPayload, 'exp' | 'iat' | 'sub' | 'jti'>
    >;
    if (exp - iat > MAX_ACCESS_TOKEN_LIFETIME_SECONDS) {
      throw new AuthError(
        AuthErrorCode.InvalidToken,
        'invalid access token',
        'lifetime exceeds ceiling',
      );
    }
    if (iat > Math.floor(this.now() / 1000) + this.tolerance) {
      throw new AuthError(
        AuthErrorCode.InvalidToken,
        'invalid access token',
        'issued in the future',
      );
    }
    const odsCode = payload['ods_code'];
    const region = payload['region'];
    const clientId = payload['client_id'];
    const scope = payload['scope'];
    const productVersion = payload['product_version'];
    const act = payload['act'];
    const actor =
      typeof act === 'object' && act !== null && isClaim((act as { sub?: unknown }).sub)
        ? (act as { sub: string }).sub
        : undefined;
    // a citizen's patient token (gateway token exchange): no organisation, patient/ scopes only
    const patient = payload['patient'];
    const patientToken = patient !== undefined;
    if (
      patientToken &&
      (typeof patient !== 'string' ||
        !/^\d{10}$/.test(patient) ||
        typeof sub !== 'string' ||
        !sub.startsWith(CITIZEN_SUBJECT_PREFIX) ||
        typeof scope !== 'string' ||
        !splitScopes(scope).every((s) => s.startsWith('patient/')))
    ) {
      throw new AuthError(AuthErrorCode.InvalidToken, 'invalid access token', 'bad patient token');
    }
    if (
      (!patientToken && (!isClaim(odsCode) || !isClaim(region))) ||
      !isClaim(sub) ||
      clientId !== sub ||
      typeof scope !== 'string'
    ) {
      throw new AuthError(
        AuthErrorCode.InvalidToken,
        'invalid access token',
        'missing Trellis claims',
      );
    }
    if (patientToken)
      return {
        systemId: sub,
        odsCode: '',
        region: '',
        patient: patient as string,
        scopes: Object.freeze(splitScopes(scope)),
        tokenId: jti,
        expiresAt: exp,
      };
    return {
      systemId: sub,
      odsCode: odsCode as string,
      region: region as string,
      ...(isClaim(productVersion) ? { productVersionId: productVersion } : {}),
      ...(actor ? { actor } : {}),
      scopes: Object.freeze(splitScopes(scope)),
      tokenId: jti,
      expiresAt: exp,
    };
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** The JWKS could not be fetched (network, timeout, non-200): a platform fault, not a bad token. */
function isKeySetUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  return (
    typeof e.message === 'string' && /JSON Web Key Set HTTP response|fetch failed/.test(e.message)
  );
}

function isClaim(v: unknown): v is string {
  return typeof v === 'string' && CLAIM_STRING.test(v);
}

function describe(err: unknown): string {
  if (err instanceof errors.JOSEError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Extracts the token from an `authorization: Bearer <jwt>` value; undefined when absent/malformed. */
export function bearerToken(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string') return undefined;
  const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i.exec(v.trim());
  if (!m?.[1]) return undefined;
  // Canonical base64url only: Node's decoder ignores stray trailing characters/bits, which would
  // let many distinct strings carry the same signature (token malleability, log/replay confusion).
  return m[1].split('.').every(isCanonicalBase64Url) ? m[1] : undefined;
}

/**
 * Last characters whose unused low bits are zero, by the segment's length mod 4 (2: 4 unused bits,
 * 3: 2 unused bits); a length of 1 mod 4 cannot be decoded whole, so it is never canonical.
 */
const CANONICAL_LAST_CHAR: Record<number, RegExp> = { 2: /[AQgw]$/, 3: /[AEIMQUYcgkosw048]$/ };

/**
 * True when decoding and re-encoding the segment would give it back (the segment holds only
 * base64url characters: bearerToken's pattern checked them). Decided from its length and last
 * character instead of the round trip, which allocated and copied the token on every call.
 */
export function isCanonicalBase64Url(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  return rest !== 1 && CANONICAL_LAST_CHAR[rest]!.test(segment);
}
