import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, type JWK } from 'jose';

/** The provider's signing key set (private JWKS): read, or generated once and kept (mode 0600). */
export async function loadSigningKeys(file: string): Promise<{ keys: JWK[] }> {
  if (existsSync(file)) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { keys?: JWK[] };
    if (!Array.isArray(doc.keys) || doc.keys.length === 0 || !doc.keys.every((k) => k.d))
      throw new Error(`${file}: expected a private JWKS`);
    return { keys: doc.keys };
  }
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = {
    ...(await exportJWK(privateKey)),
    kid: `citizen-idp-${randomUUID()}`,
    alg: 'ES256',
    use: 'sig',
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ keys: [jwk] }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { keys: [jwk] };
}
