import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';

import fc from 'fast-check';
import { createLocalJWKSet, SignJWT, type JWK } from 'jose';

import { AuthError, AuthErrorCode } from './errors';
import {
  accessTokenHash,
  GatewayVouchSigner,
  GatewayVouchVerifier,
  SUSPENSION_UNKNOWN,
  VOUCH_AUDIENCE_PREFIX,
  VOUCH_TOKEN_TYPE,
  vouchedRestriction,
  type VouchBasis,
} from './gateway-vouch';
import { type AllowedAlgorithm } from './token-claims';

const ISSUER = 'https://gateway.test.trellis';

function gatewayKey(alg: AllowedAlgorithm = 'ES384') {
  const { privateKey, publicKey } =
    alg === 'ES384'
      ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `k-${randomUUID()}`;
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, keySet: createLocalJWKSet({ keys: [jwk] }) };
}

function setup(alg: AllowedAlgorithm = 'ES384') {
  const key = gatewayKey(alg);
  let now = Date.parse('2026-12-07T06:00:00Z');
  const clock = () => now;
  const signer = new GatewayVouchSigner({ issuer: ISSUER, key, now: clock });
  const verifier = (service = 'referrals') =>
    new GatewayVouchVerifier({ service, issuer: ISSUER, keySet: key.keySet, now: clock });
  const basis = (over: Partial<VouchBasis> = {}): VouchBasis => ({
    systemId: 'gp-system-1',
    accessToken: 'header.payload.signature',
    writesRestricted: false,
    checkedAt: now,
    admission: 'admitted',
    ...over,
  });
  return {
    key,
    signer,
    verifier,
    basis,
    advance: (ms: number) => (now += ms),
    at: () => now,
  };
}

async function refusal(p: Promise<unknown>): Promise<AuthError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AuthError) return err;
    throw err;
  }
  throw new Error('expected the vouch to be refused');
}

const call = { accessToken: 'header.payload.signature', systemId: 'gp-system-1' };

describe('gateway vouch', () => {
  it.each(['ES384', 'RS384'] as const)('round-trips the checked status (%s)', async (alg) => {
    const t = setup(alg);
    const vouch = t.signer.mint('referrals', t.basis({ writesRestricted: true }));
    const verified = await t.verifier().verify(vouch, call);
    expect(verified).toEqual({
      systemId: 'gp-system-1',
      status: 'writes-restricted',
      admission: 'admitted',
      checkedAt: t.at(),
      audience: 'referrals',
      expiresAt: Math.floor(t.at() / 1000) + 30,
    });
  });

  it('reuses one signature for the same token, target and finding for a few seconds', () => {
    const t = setup();
    const first = t.signer.mint('referrals', t.basis());
    t.advance(4_000);
    expect(t.signer.mint('referrals', t.basis())).toBe(first);
    expect(t.signer.mint('identity', t.basis())).not.toBe(first);
    expect(t.signer.mint('referrals', t.basis({ writesRestricted: true }))).not.toBe(first);
    expect(t.signer.mint('referrals', t.basis({ admission: 'citizen' }))).not.toBe(first);
    const otherToken = `${t.basis().accessToken}x`;
    expect(t.signer.mint('referrals', t.basis({ accessToken: otherToken }))).not.toBe(first);
    t.advance(1_001);
    expect(t.signer.mint('referrals', t.basis())).not.toBe(first);
  });

  it('refuses a vouch addressed to another service, unless that peer forwards it', async () => {
    const t = setup();
    const vouch = t.signer.mint('referrals', t.basis());
    const atIdentity = t.verifier('identity');
    const err = await refusal(atIdentity.verify(vouch, call));
    expect(err.code).toBe(AuthErrorCode.AuthUnavailable);
    expect(err.message).toBe(SUSPENSION_UNKNOWN);
    expect(err.reason).toBe('vouch for another service');
    await expect(
      atIdentity.verify(vouch, { ...call, callingService: 'referrals' }),
    ).resolves.toMatchObject({ audience: 'referrals' });
    expect(
      (await refusal(atIdentity.verify(vouch, { ...call, callingService: 'results' }))).reason,
    ).toBe('vouch for another service');
  });

  it('refuses a vouch for another system or another access token', async () => {
    const t = setup();
    const vouch = t.signer.mint('referrals', t.basis());
    const v = t.verifier();
    expect((await refusal(v.verify(vouch, { ...call, systemId: 'other' }))).reason).toBe(
      'vouch for another system',
    );
    expect((await refusal(v.verify(vouch, { ...call, accessToken: 'a.b.c' }))).reason).toBe(
      'vouch for another token',
    );
  });

  it('refuses an expired vouch, also one verified before', async () => {
    const t = setup();
    const vouch = t.signer.mint('referrals', t.basis());
    const v = t.verifier();
    await v.verify(vouch, call);
    t.advance(36_000);
    expect((await refusal(v.verify(vouch, call))).reason).toBe('vouch expired');
    expect((await refusal(t.verifier().verify(vouch, call))).reason).toMatch(/ERR_JWT_EXPIRED/);
  });

  it('refuses a vouch stating an old check', async () => {
    const t = setup();
    const vouch = t.signer.mint('referrals', t.basis({ checkedAt: t.at() - 40_000 }));
    expect((await refusal(t.verifier().verify(vouch, call))).reason).toBe('vouched check too old');
  });

  it('refuses a vouch signed by another key, or one of another type', async () => {
    const t = setup();
    const other = setup();
    const forged = other.signer.mint('referrals', t.basis());
    expect((await refusal(t.verifier().verify(forged, call))).reason).toMatch(
      /ERR_JWKS_NO_MATCHING_KEY/,
    );
    const asAccessToken = await sign(t.key, { typ: 'at+jwt' }, vouchClaims(t.at()));
    expect((await refusal(t.verifier().verify(asAccessToken, call))).reason).toMatch(
      /ERR_JWT_CLAIM_VALIDATION_FAILED.*typ/,
    );
  });

  it('refuses a lifetime over 30 s, an unknown status and a missing token binding', async () => {
    const t = setup();
    const v = t.verifier();
    const claims = vouchClaims(t.at());
    const long = await sign(t.key, {}, { ...claims, exp: claims.iat + 31 });
    expect((await refusal(v.verify(long, call))).reason).toBe('vouch lifetime over 30 s');
    const suspended = await sign(t.key, {}, { ...claims, sys_status: 'suspended' });
    expect((await refusal(v.verify(suspended, call))).reason).toBe('vouch without a status');
    const { ath: _ath, ...unbound } = claims;
    expect((await refusal(v.verify(await sign(t.key, {}, unbound), call))).reason).toBe(
      'vouch not bound to a token',
    );
    await expect(v.verify(await sign(t.key, {}, claims), call)).resolves.toMatchObject({
      status: 'active',
    });
  });

  it('refuses any single-character change to a vouch', async () => {
    const t = setup();
    const vouch = t.signer.mint('referrals', t.basis());
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: vouch.length - 1 }),
        fc.constantFrom(...alphabet),
        async (at, char) => {
          fc.pre(vouch[at] !== char);
          const tampered = vouch.slice(0, at) + char + vouch.slice(at + 1);
          // a fresh verifier each time: nothing answered from the cache
          const err = await refusal(t.verifier().verify(tampered, call));
          expect(err.code).toBe(AuthErrorCode.AuthUnavailable);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads the stated restriction unverified, for tightening only', () => {
    const t = setup();
    const restricted = t.signer.mint('referrals', t.basis({ writesRestricted: true }));
    const active = t.signer.mint('referrals', t.basis());
    expect(vouchedRestriction(restricted, call)).toBe(true);
    expect(vouchedRestriction(active, call)).toBe(false);
    expect(vouchedRestriction(restricted, { systemId: 'other' })).toBeUndefined();
    expect(vouchedRestriction('not a token', call)).toBeUndefined();
    expect(vouchedRestriction(undefined, call)).toBeUndefined();
  });
});

function vouchClaims(nowMs: number) {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: ISSUER,
    sub: 'gp-system-1',
    aud: `${VOUCH_AUDIENCE_PREFIX}referrals`,
    iat,
    exp: iat + 30,
    jti: randomUUID(),
    ath: accessTokenHash(call.accessToken),
    sys_status: 'active',
    checked_at: nowMs,
    adm: 'admitted',
  };
}

function sign(
  key: { kid: string; alg: AllowedAlgorithm; privateKey: KeyObject },
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: VOUCH_TOKEN_TYPE, ...header })
    .sign(key.privateKey);
}
