import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { type AllowedAlgorithm } from '@trellis/auth';
import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';

/**
 * The platform's token-signing keys, kept in a JSON file outside git (`.trellis/secrets/` locally,
 * a mounted Secret in a cluster). keys[0] signs; keys[1] (the previous key) is still published in
 * the JWKS so tokens it signed stay valid until they expire. Rotation prepends a new key and drops
 * anything older than the previous one.
 */
export interface StoredSigningKey {
  kid: string;
  alg: AllowedAlgorithm;
  createdAt: string;
  privateJwk: JWK;
}
interface SigningKeyFile {
  keys: StoredSigningKey[];
}

export interface SigningKey {
  kid: string;
  alg: AllowedAlgorithm;
  privateKey: KeyLike | Uint8Array;
  publicJwk: JWK;
}

export async function newSigningKey(alg: AllowedAlgorithm = 'ES384'): Promise<StoredSigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    kid: `trellis-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`,
    alg,
    createdAt: new Date().toISOString(),
    privateJwk: await exportJWK(privateKey),
  };
}

function writeKeyFile(path: string, content: SigningKeyFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function readKeyFile(path: string): SigningKeyFile {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SigningKeyFile>;
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0)
    throw new Error(`signing key file ${path} has no keys`);
  return { keys: parsed.keys };
}

/** Creates the key file with one key when absent (local development and the demo). */
export async function ensureSigningKeyFile(path: string): Promise<void> {
  if (existsSync(path)) return;
  writeKeyFile(path, { keys: [await newSigningKey()] });
}

/** Prepends a new key, keeps the previous one, drops older ones. Returns the new kid. */
export async function rotateSigningKeyFile(
  path: string,
  alg: AllowedAlgorithm = 'ES384',
): Promise<string> {
  const current = existsSync(path) ? readKeyFile(path).keys : [];
  const fresh = await newSigningKey(alg);
  writeKeyFile(path, { keys: [fresh, ...current].slice(0, 2) });
  return fresh.kid;
}

export class SigningKeyRing {
  private constructor(readonly keys: readonly SigningKey[]) {}

  static async load(path: string): Promise<SigningKeyRing> {
    const stored = readKeyFile(path).keys.slice(0, 2);
    const keys: SigningKey[] = [];
    for (const k of stored) {
      if (k.alg !== 'ES384' && k.alg !== 'RS384')
        throw new Error(`signing key ${k.kid}: unsupported alg ${String(k.alg)}`);
      const privateKey = await importJWK(k.privateJwk, k.alg);
      keys.push({
        kid: k.kid,
        alg: k.alg,
        privateKey,
        publicJwk: publicPart(k.privateJwk, k.kid, k.alg),
      });
    }
    return new SigningKeyRing(keys);
  }

  get current(): SigningKey {
    const k = this.keys[0];
    if (!k) throw new Error('no signing key');
    return k;
  }

  /** The public JWKS: current + previous. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
function publicPart(jwk: JWK, kid: string, alg: string): JWK {
  const pub: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(jwk)) {
    if (!PRIVATE_MEMBERS.has(name)) pub[name] = value;
  }
  return { ...pub, kty: jwk.kty, kid, alg, use: 'sig' } as JWK;
}
