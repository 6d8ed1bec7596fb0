import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AuthError, AuthErrorCode } from './errors';
import {
  generateServiceKeyRing,
  loadServiceIdentity,
  loadServiceKeyRing,
  ServiceIdentity,
  SERVICE_TOKEN_AUDIENCE,
} from './service-identity';

function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).code).toBe(AuthErrorCode.ServiceIdentityRequired);
    expect((e as AuthError).kind).toBe('unauthenticated');
    expect((e as AuthError).message).toMatch(/through the gateway/);
    return (e as AuthError).reason;
  }
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('ServiceIdentity', () => {
  const ring = generateServiceKeyRing();

  it('a peer holding the ring verifies the token and learns the calling service', () => {
    const gateway = new ServiceIdentity('gateway', ring);
    const identity = new ServiceIdentity('identity', ring);
    const token = gateway.token();
    expect(identity.verify(token)).toBe('gateway');
    expect(identity.verify([token])).toBe('gateway');
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      aud: string;
      exp: number;
      iat: number;
    };
    expect(claims.aud).toBe(SERVICE_TOKEN_AUDIENCE);
    expect(claims.exp - claims.iat).toBe(120);
  });

  it('reuses its token until 30 s before expiry, then signs a new one', () => {
    let now = 1_000_000_000_000;
    const id = new ServiceIdentity('gateway', ring, () => now);
    const first = id.token();
    now += 89_000;
    expect(id.token()).toBe(first);
    now += 2_000;
    expect(id.token()).not.toBe(first);
  });

  it('refuses no token, another ring, tampering, expiry and a wrong typ', () => {
    const verifier = new ServiceIdentity('identity', ring);
    expect(refusal(() => verifier.verify(undefined))).toBe('no service token');
    expect(refusal(() => verifier.verify(''))).toBe('no service token');
    const stranger = new ServiceIdentity('gateway', generateServiceKeyRing()).token();
    expect(refusal(() => verifier.verify(stranger))).toBe('unknown kid');
    const [h, , s] = new ServiceIdentity('gateway', ring).token().split('.');
    const forged = `${h}.${b64({ iss: 'router', sub: 'router', aud: SERVICE_TOKEN_AUDIENCE, iat: 1, exp: 2 })}.${s}`;
    expect(refusal(() => verifier.verify(forged))).toBe('bad signature');
    let now = Date.now();
    const old = new ServiceIdentity('gateway', ring, () => now).token();
    now += 10 * 60_000;
    expect(refusal(() => new ServiceIdentity('identity', ring, () => now).verify(old))).toBe(
      'expired',
    );
    const at = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: ring.keys[0]?.kid })}.e30.x`;
    expect(refusal(() => verifier.verify(at))).toBe('wrong alg/typ');
    expect(refusal(() => verifier.verify('a.b'))).toBe('malformed');
  });

  it('a verified token stops working once expired, even from the cache', () => {
    let now = Date.now();
    const signer = new ServiceIdentity('gateway', ring, () => now);
    const verifier = new ServiceIdentity('identity', ring, () => now);
    const token = signer.token();
    expect(verifier.verify(token)).toBe('gateway');
    now += 200_000;
    expect(refusal(() => verifier.verify(token))).toBe('expired');
  });
});

describe('loadServiceKeyRing', () => {
  it('creates a 0600 ring once when allowed, then reads the same ring', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'svc-ring-')), 'secrets', 'ring.json');
    expect(() => loadServiceKeyRing(file)).toThrow(/not found/);
    const a = loadServiceKeyRing(file, true);
    const b = loadServiceKeyRing(file, true);
    expect(b).toEqual(a);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(a);
    const x = loadServiceIdentity({ service: 'gateway', keyFile: file });
    expect(loadServiceIdentity({ service: 'results', keyFile: file }).verify(x.token())).toBe(
      'gateway',
    );
  });

  it('refuses a ring with a short key', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'svc-ring-')), 'ring.json');
    writeFileSync(file, JSON.stringify({ keys: [{ kid: 'a', k: 'c2hvcnQ' }] }));
    expect(() => loadServiceKeyRing(file)).toThrow(/at least 32 bytes/);
  });
});
