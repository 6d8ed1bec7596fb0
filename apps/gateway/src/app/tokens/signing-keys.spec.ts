import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureSigningKeyFile, rotateSigningKeyFile, SigningKeyRing } from './signing-keys';

describe('platform signing keys', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 0600 key file when absent and publishes only public members', async () => {
    const file = join(dir, 'nested', 'keys.json');
    await ensureSigningKeyFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const ring = await SigningKeyRing.load(file);
    expect(ring.current.alg).toBe('ES384');
    const [pub] = ring.jwks().keys;
    expect(pub).toMatchObject({ kid: ring.current.kid, alg: 'ES384', use: 'sig', kty: 'EC' });
    expect(pub).not.toHaveProperty('d');
  });

  it('rotation signs with the new key and keeps exactly one previous key published', async () => {
    const file = join(dir, 'keys.json');
    await ensureSigningKeyFile(file);
    const first = (await SigningKeyRing.load(file)).current.kid;
    const second = await rotateSigningKeyFile(file);
    const third = await rotateSigningKeyFile(file, 'RS384');
    const ring = await SigningKeyRing.load(file);
    expect(ring.current.kid).toBe(third);
    expect(ring.current.alg).toBe('RS384');
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([third, second]);
    expect(ring.jwks().keys.map((k) => k.kid)).not.toContain(first);
  });
});
