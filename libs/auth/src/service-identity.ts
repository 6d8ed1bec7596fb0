// Service identity: which Trellis service (not which connected system) is making a call. Platforms
// accept calls only from the gateway and from each other; each call carries a short-lived signed
// service token next to the caller's access token (docs/security.md, "Service identity").
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { AuthError, AuthErrorCode } from './errors';

/** gRPC metadata key / HTTP header carrying the service token. */
export const SERVICE_TOKEN_HEADER = 'x-trellis-service-token';
/** `aud` of every service token: never a platform access token's audience. */
export const SERVICE_TOKEN_AUDIENCE = 'urn:trellis:service';
/** JOSE `typ` of service tokens (access tokens are `at+jwt`, assertions plain JWT). */
export const SERVICE_TOKEN_TYPE = 'svc+jwt';
/** Default key file, relative to the working directory (git-ignored `.trellis/`). */
export const DEFAULT_SERVICE_KEY_FILE = '.trellis/secrets/service-token-keys.json';

const LIFETIME_SECONDS = 120;
const RENEW_BEFORE_SECONDS = 30;
const MAX_LIFETIME_SECONDS = 300;
const SKEW_SECONDS = 5;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const MIN_KEY_BYTES = 32;

/** One HMAC key; `keys[0]` signs, every key verifies (rotation: prepend, keep the previous one). */
export interface ServiceKey {
  kid: string;
  /** base64url of at least 32 random bytes. */
  k: string;
}
export interface ServiceKeyRing {
  keys: ServiceKey[];
}

interface DecodedKey {
  kid: string;
  secret: Buffer;
}

export function generateServiceKeyRing(): ServiceKeyRing {
  return {
    keys: [{ kid: `svc-${randomUUID()}`, k: randomBytes(MIN_KEY_BYTES).toString('base64url') }],
  };
}

/** Validates a parsed key-ring document; throws with a message naming the file's problem. */
export function parseServiceKeyRing(doc: unknown, source = 'service key ring'): ServiceKeyRing {
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new Error(`${source}: expected { "keys": [ { "kid", "k" } ] }`);
  const out: ServiceKey[] = [];
  for (const key of keys) {
    const { kid, k } = (key ?? {}) as { kid?: unknown; k?: unknown };
    if (typeof kid !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(kid))
      throw new Error(`${source}: every key needs a printable "kid"`);
    if (typeof k !== 'string' || Buffer.from(k, 'base64url').length < MIN_KEY_BYTES)
      throw new Error(`${source}: key ${kid} needs "k" with at least ${MIN_KEY_BYTES} bytes`);
    out.push({ kid, k });
  }
  return { keys: out };
}

export interface LoadServiceIdentityOptions {
  /** This service's name: the `sub` of the tokens it signs (e.g. "gateway", "identity"). */
  service: string;
  /** Key-ring file (default `.trellis/secrets/service-token-keys.json`). */
  keyFile?: string;
  /** Create the file when absent (local development only: replicas must share one ring). */
  generateIfAbsent?: boolean;
  now?: () => number;
}

/**
 * Reads the shared key ring (a mounted Secret in a cluster). With `generateIfAbsent` a missing
 * file is created atomically (temp file + link), so processes starting together agree on one key.
 */
export function loadServiceKeyRing(
  keyFile = DEFAULT_SERVICE_KEY_FILE,
  generateIfAbsent = false,
): ServiceKeyRing {
  const path = resolve(keyFile);
  try {
    return parseServiceKeyRing(JSON.parse(readFileSync(path, 'utf8')) as unknown, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !generateIfAbsent) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`service key ring ${path} not found (SERVICE_IDENTITY_KEY_FILE)`);
      throw err;
    }
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(tmp, JSON.stringify(generateServiceKeyRing(), null, 2) + '\n', { mode: 0o600 });
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return parseServiceKeyRing(JSON.parse(readFileSync(path, 'utf8')) as unknown, path);
}

/** Loads the key ring and returns this service's identity (signer + verifier). */
export function loadServiceIdentity(options: LoadServiceIdentityOptions): ServiceIdentity {
  return new ServiceIdentity(
    options.service,
    loadServiceKeyRing(options.keyFile, options.generateIfAbsent ?? false),
    options.now,
  );
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * Signs this service's tokens (HS256, `sub` = service, `aud` urn:trellis:service, 120 s, reused
 * until 30 s before expiry) and verifies peers' tokens against the same ring. Synchronous, so it
 * fits gRPC client interceptors and costs one HMAC per new token, one map lookup per call after.
 */
export class ServiceIdentity {
  private readonly keys: DecodedKey[];
  private current: { token: string; exp: number } | undefined;
  private readonly verified = new Map<string, { service: string; exp: number }>();

  constructor(
    readonly service: string,
    ring: ServiceKeyRing,
    private readonly now: () => number = Date.now,
  ) {
    if (!SERVICE_NAME.test(service)) throw new Error(`invalid service name "${service}"`);
    this.keys = parseServiceKeyRing(ring).keys.map((k) => ({
      kid: k.kid,
      secret: Buffer.from(k.k, 'base64url'),
    }));
  }

  /** A valid token for outgoing calls (cached; renewed shortly before it expires). */
  token(): string {
    const nowS = Math.floor(this.now() / 1000);
    if (this.current && this.current.exp - RENEW_BEFORE_SECONDS > nowS) return this.current.token;
    const key = this.keys[0] as DecodedKey;
    const exp = nowS + LIFETIME_SECONDS;
    const head = b64({ alg: 'HS256', typ: SERVICE_TOKEN_TYPE, kid: key.kid });
    const body = b64({
      iss: this.service,
      sub: this.service,
      aud: SERVICE_TOKEN_AUDIENCE,
      iat: nowS,
      exp,
      jti: randomUUID(),
    });
    const sig = createHmac('sha256', key.secret).update(`${head}.${body}`).digest('base64url');
    this.current = { token: `${head}.${body}.${sig}`, exp };
    return this.current.token;
  }

  /** The calling service's name, or AuthError SERVICE_IDENTITY_REQUIRED. */
  verify(value: unknown): string {
    const token = Array.isArray(value) ? (value[0] as unknown) : value;
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048)
      throw refused(token === undefined || token === '' ? 'no service token' : 'malformed');
    const nowS = Math.floor(this.now() / 1000);
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp + SKEW_SECONDS >= nowS) return hit.service;
      this.verified.delete(token);
      throw refused('expired');
    }
    const service = this.check(token, nowS);
    if (this.verified.size >= 1024) this.verified.clear();
    this.verified.set(token, service);
    return service.service;
  }

  private check(token: string, nowS: number): { service: string; exp: number } {
    const parts = token.split('.');
    if (parts.length !== 3) throw refused('malformed');
    const [head, body, sig] = parts as [string, string, string];
    const header = parseJson(head);
    if (header?.['alg'] !== 'HS256' || header['typ'] !== SERVICE_TOKEN_TYPE)
      throw refused('wrong alg/typ');
    const key = this.keys.find((k) => k.kid === header['kid']);
    if (!key) throw refused('unknown kid');
    const expected = createHmac('sha256', key.secret).update(`${head}.${body}`).digest();
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw refused('bad signature');
    const claims = parseJson(body);
    const { sub, aud, exp, iat } = claims ?? {};
    if (aud !== SERVICE_TOKEN_AUDIENCE) throw refused('wrong audience');
    if (typeof sub !== 'string' || !SERVICE_NAME.test(sub) || claims?.['iss'] !== sub)
      throw refused('bad subject');
    if (typeof exp !== 'number' || typeof iat !== 'number') throw refused('no exp/iat');
    if (exp + SKEW_SECONDS < nowS) throw refused('expired');
    if (iat > nowS + SKEW_SECONDS || exp - iat > MAX_LIFETIME_SECONDS)
      throw refused('bad lifetime');
    return { service: sub, exp };
  }
}

function parseJson(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function refused(reason: string): AuthError {
  return new AuthError(
    AuthErrorCode.ServiceIdentityRequired,
    'service identity required: local systems call the platforms through the gateway',
    reason,
  );
}

/** Anything with a gRPC-Metadata-like `set` (grpc-js Metadata). */
interface MetadataSetter {
  set(key: string, value: string): void;
}

/** Adds this service's token to outgoing metadata (peer calls, the gateway's forwarding). */
export function withServiceToken<M extends MetadataSetter>(
  metadata: M,
  identity: ServiceIdentity | undefined,
): M {
  if (identity) metadata.set(SERVICE_TOKEN_HEADER, identity.token());
  return metadata;
}

/**
 * A service's identity from its typed config: the ring at SERVICE_IDENTITY_KEY_FILE, created when
 * absent only with DEPLOY_ENV=local (in a cluster it is a mounted Secret; a missing one fails boot).
 */
export function serviceIdentityFromConfig(
  service: string,
  config: { SERVICE_IDENTITY_KEY_FILE?: string; DEPLOY_ENV?: string },
): ServiceIdentity {
  return loadServiceIdentity({
    service,
    keyFile: config.SERVICE_IDENTITY_KEY_FILE ?? DEFAULT_SERVICE_KEY_FILE,
    generateIfAbsent: (config.DEPLOY_ENV ?? 'local') === 'local',
  });
}
