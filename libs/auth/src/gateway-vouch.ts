// The gateway's per-call vouch (issue 22): a short-lived statement, signed with the gateway's
// token-signing key, that it checked the calling system's status for this call. A platform whose
// own suspension feed has not replayed accepts a call only when it carries one (docs/security.md,
// "Gateway vouches").
import { createHash, KeyObject, randomUUID, sign, type webcrypto } from 'node:crypto';

import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type KeyLike } from 'jose';

import { AuthError, AuthErrorCode } from './errors';
import { ALLOWED_ALGORITHMS, type AllowedAlgorithm } from './token-claims';

/** gRPC metadata key / HTTP header carrying the vouch. */
export const VOUCH_HEADER = 'x-trellis-gateway-vouch';
/** JOSE `typ` of vouches: never an access token (`at+jwt`) nor a service token (`svc+jwt`). */
export const VOUCH_TOKEN_TYPE = 'vouch+jwt';
/** `aud` of a vouch: the one service it is addressed to. */
export const VOUCH_AUDIENCE_PREFIX = 'urn:trellis:service:';
/** Ceiling on a vouch's lifetime and on the age of the check it states. */
export const MAX_VOUCH_LIFETIME_SECONDS = 30;

/** What the gateway found: suspended systems are refused there and never vouched for. */
export type VouchedStatus = 'active' | 'writes-restricted';
/**
 * The lifecycle-derived admission: `admitted` (the gateway's lifecycle rule let the call through),
 * `session` (the rule says: within the system's conformance session), `citizen` (a patient token).
 */
export type VouchedAdmission = 'admitted' | 'session' | 'citizen';

const STATUSES: readonly string[] = ['active', 'writes-restricted'];
const ADMISSIONS: readonly string[] = ['admitted', 'session', 'citizen'];
const SKEW_SECONDS = 5;

/** What the gateway knows of a call when it forwards it. */
export interface VouchBasis {
  systemId: string;
  /** The caller's access token: the vouch carries its SHA-256 (`ath`), so it is bound to it. */
  accessToken: string;
  writesRestricted: boolean;
  /** When the gateway checked the status (epoch ms). */
  checkedAt: number;
  admission: VouchedAdmission;
}

/** A verified vouch. */
export interface Vouch {
  systemId: string;
  status: VouchedStatus;
  /** Epoch ms. */
  checkedAt: number;
  admission: VouchedAdmission;
  /** The service it was addressed to. */
  audience: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/** base64url SHA-256 of an access token (the `ath` of DPoP, RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

export interface VouchSignerOptions {
  /** `iss`: the gateway's public base URL, as in its access tokens. */
  issuer: string;
  /** The gateway's current token-signing key (the JWKS the platforms already trust). */
  key: { kid: string; alg: AllowedAlgorithm; privateKey: KeyLike | Uint8Array };
  /** Vouch lifetime (default and ceiling 30 s). */
  lifetimeSeconds?: number;
  /**
   * How long a minted vouch is reused for the same caller token, target and finding (default 5 s):
   * one signature per token, target and status that often, not one per call. Its `checked_at`
   * then names the first of the identical checks (older, so never looser).
   */
  reuseMs?: number;
  now?: () => number;
}

/** Mints vouches (synchronous: it runs inside gRPC client middleware). The gateway only. */
export class GatewayVouchSigner {
  private readonly lifetime: number;
  private readonly reuseMs: number;
  private readonly now: () => number;
  private readonly minted = new Map<string, { token: string; at: number }>();
  private readonly privateKey: KeyObject;

  constructor(private readonly options: VouchSignerOptions) {
    const key = options.key.privateKey;
    if (key instanceof Uint8Array) throw new Error('a vouch is signed with an asymmetric key');
    this.privateKey = key instanceof KeyObject ? key : KeyObject.from(key as webcrypto.CryptoKey);
    if (this.privateKey.type !== 'private') throw new Error('a vouch needs the private key');
    this.lifetime = Math.min(options.lifetimeSeconds ?? 30, MAX_VOUCH_LIFETIME_SECONDS);
    if (!(this.lifetime > 0)) throw new Error('vouch lifetime must be positive');
    this.reuseMs = Math.min(options.reuseMs ?? 5_000, (this.lifetime * 1000) / 3);
    this.now = options.now ?? Date.now;
  }

  /** A vouch for a call to `target` (a service name, e.g. "referrals"). */
  mint(target: string, basis: VouchBasis): string {
    const status: VouchedStatus = basis.writesRestricted ? 'writes-restricted' : 'active';
    // keyed by the token itself: its SHA-256 (`ath`) is computed only when a vouch is signed
    const cacheKey = `${target}\u0000${status}\u0000${basis.admission}\u0000${basis.accessToken}`;
    const now = this.now();
    const held = this.minted.get(cacheKey);
    if (held && now - held.at < this.reuseMs) return held.token;
    const ath = accessTokenHash(basis.accessToken);
    const iat = Math.floor(now / 1000);
    const { kid, alg } = this.options.key;
    const privateKey = this.privateKey;
    const head = b64({ alg, typ: VOUCH_TOKEN_TYPE, kid });
    const body = b64({
      iss: this.options.issuer,
      sub: basis.systemId,
      aud: `${VOUCH_AUDIENCE_PREFIX}${target}`,
      iat,
      exp: iat + this.lifetime,
      jti: randomUUID(),
      ath,
      sys_status: status,
      checked_at: Math.min(basis.checkedAt, now),
      adm: basis.admission,
    } satisfies VouchClaims);
    const input = Buffer.from(`${head}.${body}`);
    const signature =
      alg === 'ES384'
        ? sign('sha384', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })
        : sign('sha384', input, privateKey);
    const token = `${head}.${body}.${signature.toString('base64url')}`;
    if (this.minted.size >= 10_000) this.minted.clear();
    this.minted.set(cacheKey, { token, at: now });
    return token;
  }
}

interface VouchClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  ath: string;
  sys_status: VouchedStatus;
  checked_at: number;
  adm: VouchedAdmission;
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export interface VouchVerifierOptions {
  /** This service's name: the audience a vouch must name (or the peer that forwarded it). */
  service: string;
  /** Expected `iss` (the gateway's public base URL). */
  issuer: string;
  /** The gateway's JWKS (the access-token verifier's key set). */
  keySet: JWTVerifyGetKey;
  now?: () => number;
}

/** What a vouch must match besides its signature: the call it came with. */
export interface VouchedCall {
  /** The call's access token (compared by hash). */
  accessToken: string;
  /** The token's system. */
  systemId: string;
  /**
   * The service whose service token came with the call. A peer platform may forward the vouch the
   * gateway addressed to it (a referral's patient check at identity): accepted from that peer only.
   */
  callingService?: string;
}

/**
 * Verifies vouches: signature against the gateway's JWKS (RS384/ES384 only), `typ` vouch+jwt,
 * `iss`, `aud` (this service, or the peer that forwarded it), lifetime ≤ 30 s, a check no older
 * than 30 s, the caller's system and access token. Verified vouches are cached until they expire.
 */
export class GatewayVouchVerifier {
  private readonly now: () => number;
  private readonly verified = new Map<string, { vouch: Vouch; ath: string }>();

  constructor(private readonly options: VouchVerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The vouch, or AuthError AUTH_UNAVAILABLE whose reason says why it was refused. */
  async verify(value: unknown, call: VouchedCall): Promise<Vouch> {
    const token = Array.isArray(value) ? (value[0] as unknown) : value;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096)
      throw refused(token === undefined || token === '' ? 'no vouch' : 'malformed vouch');
    const nowMs = this.now();
    let held = this.verified.get(token);
    if (held && held.vouch.expiresAt + SKEW_SECONDS < nowMs / 1000) {
      this.verified.delete(token);
      throw refused('vouch expired');
    }
    if (!held) {
      held = this.claimsOf(await this.verifySignature(token, nowMs), nowMs);
      if (this.verified.size >= 10_000) this.verified.clear();
      this.verified.set(token, held);
    }
    const { vouch, ath } = held;
    if (vouch.audience !== this.options.service && vouch.audience !== call.callingService)
      throw refused('vouch for another service');
    if (vouch.systemId !== call.systemId) throw refused('vouch for another system');
    if (ath !== accessTokenHash(call.accessToken)) throw refused('vouch for another token');
    if (nowMs - vouch.checkedAt > (MAX_VOUCH_LIFETIME_SECONDS + SKEW_SECONDS) * 1000)
      throw refused('vouched check too old');
    return vouch;
  }

  private async verifySignature(token: string, nowMs: number): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.options.keySet, {
        currentDate: new Date(nowMs),
        issuer: this.options.issuer,
        algorithms: [...ALLOWED_ALGORITHMS],
        typ: VOUCH_TOKEN_TYPE,
        clockTolerance: SKEW_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub', 'aud', 'jti'],
      });
      return payload;
    } catch (err) {
      throw refused(err instanceof errors.JOSEError ? `${err.code}: ${err.message}` : String(err));
    }
  }

  private claimsOf(payload: JWTPayload, nowMs: number): { vouch: Vouch; ath: string } {
    const { sub, aud, exp, iat } = payload as Required<
      Pick<JWTPayload, 'sub' | 'aud' | 'exp' | 'iat'>
    >;
    const status = payload['sys_status'];
    const admission = payload['adm'];
    const checkedAt = payload['checked_at'];
    if (typeof aud !== 'string' || !aud.startsWith(VOUCH_AUDIENCE_PREFIX))
      throw refused('vouch audience is not a service');
    if (exp - iat > MAX_VOUCH_LIFETIME_SECONDS) throw refused('vouch lifetime over 30 s');
    if (iat > nowMs / 1000 + SKEW_SECONDS) throw refused('vouch issued in the future');
    if (typeof status !== 'string' || !STATUSES.includes(status))
      throw refused('vouch without a status');
    if (typeof admission !== 'string' || !ADMISSIONS.includes(admission))
      throw refused('vouch without an admission');
    if (typeof checkedAt !== 'number' || checkedAt > nowMs + SKEW_SECONDS * 1000)
      throw refused('vouch without a check time');
    const ath = payload['ath'];
    if (typeof ath !== 'string') throw refused('vouch not bound to a token');
    const vouch: Vouch = {
      systemId: sub,
      status: status as VouchedStatus,
      admission: admission as VouchedAdmission,
      checkedAt,
      audience: aud.slice(VOUCH_AUDIENCE_PREFIX.length),
      expiresAt: exp,
    };
    return { vouch, ath };
  }
}

/**
 * The status a vouch states, read WITHOUT verifying it: used only to tighten what the service's
 * own registry says (a forged "writes-restricted" restricts only the forger's own call; a forged
 * "active" cannot loosen a known restriction or suspension). Undefined when absent or unreadable.
 */
export function vouchedRestriction(
  value: unknown,
  call: Pick<VouchedCall, 'systemId'>,
): boolean | undefined {
  const token = Array.isArray(value) ? (value[0] as unknown) : value;
  if (typeof token !== 'string' || token.length > 4096) return undefined;
  const claims = peekClaims(token);
  if (!claims || claims['sub'] !== call.systemId) return undefined;
  const status = claims['sys_status'];
  return status === 'writes-restricted' ? true : status === 'active' ? false : undefined;
}

function peekClaims(token: string): Record<string, unknown> | undefined {
  const body = token.split('.')[1];
  if (!body) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A refused vouch: the call's suspension state stays unknown (fail closed, UNAVAILABLE). */
function refused(reason: string): AuthError {
  return new AuthError(AuthErrorCode.AuthUnavailable, SUSPENSION_UNKNOWN, reason);
}

/** Client-facing message of a call refused because neither the feed nor a vouch vouches for it. */
export const SUSPENSION_UNKNOWN =
  'suspension state unknown: this service has not replayed its suspension feed and the call carries no valid gateway vouch; call through the gateway or retry later';

// The gateway's guard records what it checked on the request; the FHIR facade reads it when it
// forwards the call (a WeakMap keeps it off the wire and dies with the request).
const bases = new WeakMap<object, VouchBasis>();

export function attachVouchBasis(carrier: object, basis: VouchBasis): void {
  bases.set(carrier, basis);
}

/** What the guard checked for this request (undefined: no authenticated caller). */
export function vouchBasisOf(carrier: object | undefined): VouchBasis | undefined {
  return carrier ? bases.get(carrier) : undefined;
}
