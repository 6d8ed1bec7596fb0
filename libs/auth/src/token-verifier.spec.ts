import { randomUUID } from 'node:crypto';

import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';

import { AuthError, AuthErrorCode } from './errors';
import { createTestAuthority, type TestAuthority } from '../testing';
import { AccessTokenVerifier, bearerToken, isCanonicalBase64Url } from './token-verifier';

describe('AccessTokenVerifier', () => {
  let authority: TestAuthority;
  let verifier: AccessTokenVerifier;

  beforeAll(async () => {
    authority = await createTestAuthority();
    verifier = new AccessTokenVerifier({
      issuer: authority.issuer,
      audience: authority.audience,
      keySet: authority.keySet,
    });
  });

  const expectCode = async (token: string, code: AuthErrorCode): Promise<void> => {
    const err = await verifier.verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).code).toBe(code);
  };

  it('accepts a valid token and exposes the caller', async () => {
    const token = await authority.issue({
      systemId: 'gp-1',
      scopes: ['system/Patient.rs'],
      odsCode: 'Y12345',
      region: 'north-east',
    });
    const caller = await verifier.verify(token, 'dr-who');
    expect(caller).toMatchObject({
      systemId: 'gp-1',
      odsCode: 'Y12345',
      region: 'north-east',
      scopes: ['system/Patient.rs'],
      userId: 'dr-who',
    });
  });

  it("a professional's session token names its user (act.sub), which the header cannot override", async () => {
    const token = await authority.issue({
      systemId: 'demo-operator-console',
      scopes: ['trellis/admin'],
      claims: { act: { sub: 'staff:operator-1' } },
    });
    expect((await verifier.verify(token, 'someone-else')).userId).toBe('staff:operator-1');
    expect(await verifier.verify(token)).not.toHaveProperty('actor');
    const odd = await authority.issue({ scopes: ['trellis/admin'], claims: { act: 'x' } });
    expect((await verifier.verify(odd, 'dr-who')).userId).toBe('dr-who');
  });

  it('refuses expired tokens', async () => {
    const token = await authority.issue({
      scopes: ['system/Patient.r'],
      issuedAt: Math.floor(Date.now() / 1000) - 400,
      lifetimeSeconds: 300,
    });
    await expectCode(token, AuthErrorCode.InvalidToken);
  });

  it('refuses tokens living longer than 5 minutes', async () => {
    await expectCode(
      await authority.issue({ scopes: ['system/Patient.r'], lifetimeSeconds: 3600 }),
      AuthErrorCode.InvalidToken,
    );
  });

  it('refuses wrong issuer, audience and typ', async () => {
    await expectCode(
      await authority.issue({ scopes: [], claims: { iss: 'https://evil' } }),
      AuthErrorCode.InvalidToken,
    );
    await expectCode(
      await authority.issue({ scopes: [], claims: { aud: 'other' } }),
      AuthErrorCode.InvalidToken,
    );
    await expectCode(
      await authority.issue({ scopes: [], header: { typ: 'JWT' } }),
      AuthErrorCode.InvalidToken,
    );
  });

  it('refuses tokens signed by another key', async () => {
    const other = await createTestAuthority(authority.issuer, authority.audience);
    await expectCode(
      await other.issue({ scopes: ['system/Patient.r'] }),
      AuthErrorCode.InvalidToken,
    );
  });

  it('refuses alg none and HS256 even with valid claims', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: authority.issuer,
      aud: authority.audience,
      sub: 's',
      client_id: 's',
      jti: randomUUID(),
      iat: now,
      exp: now + 60,
      scope: 'system/Patient.r',
      ods_code: 'A81001',
      region: 'london',
    };
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${base64url.encode(JSON.stringify(claims))}.`;
    await expectCode(none, AuthErrorCode.InvalidToken);
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await expectCode(hs, AuthErrorCode.InvalidToken);
  });

  it('refuses RS256 (only RS384/ES384 are allowed)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rs256', alg: 'RS256' };
    const { createLocalJWKSet } = await import('jose');
    const v = new AccessTokenVerifier({
      issuer: 'i',
      audience: 'a',
      keySet: createLocalJWKSet({ keys: [jwk] }),
    });
    const now = Math.floor(Date.now() / 1000);
    const t = await new SignJWT({ client_id: 's', scope: '', ods_code: 'A1', region: 'london' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rs256', typ: 'at+jwt' })
      .setIssuer('i')
      .setAudience('a')
      .setSubject('s')
      .setJti('j')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    await expect(v.verify(t)).rejects.toMatchObject({ code: AuthErrorCode.InvalidToken });
  });

  it('refuses tokens missing Trellis claims or with client_id != sub', async () => {
    await expectCode(
      await authority.issue({ scopes: [], claims: { ods_code: undefined } }),
      AuthErrorCode.InvalidToken,
    );
    await expectCode(
      await authority.issue({ scopes: [], claims: { client_id: 'someone-else' } }),
      AuthErrorCode.InvalidToken,
    );
  });

  it('refuses malformed tokens', async () => {
    await expectCode('abc.def.ghi', AuthErrorCode.InvalidToken);
  });

  it('parses only Bearer JWTs', () => {
    expect(bearerToken('Bearer e30.e30.AAAA')).toBe('e30.e30.AAAA');
    expect(bearerToken('bearer e30.e30.AAAA')).toBe('e30.e30.AAAA');
    expect(bearerToken('Basic dXNlcg==')).toBeUndefined();
    expect(bearerToken('Bearer not-a-jwt')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('refuses non-canonical base64url (a trailing character the decoder would ignore)', async () => {
    const token = await authority.issue({ scopes: [] });
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(`Bearer ${token}x`)).toBeUndefined();
  });

  it('decides canonical base64url exactly as a decode and re-encode round trip does', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const roundTrips = (s: string): boolean =>
      Buffer.from(s, 'base64url').toString('base64url') === s;
    let nonCanonical = 0;
    // every last character after prefixes of each length mod 4, and the empty segment
    for (const prefix of ['', 'e', 'e3', 'e30', 'eyJh', 'eyJhb', 'eyJhbG', 'eyJhbGc']) {
      for (const last of alphabet) {
        const segment = `${prefix}${last}`;
        expect(isCanonicalBase64Url(segment)).toBe(roundTrips(segment));
        if (!roundTrips(segment)) nonCanonical += 1;
      }
    }
    expect(isCanonicalBase64Url('')).toBe(roundTrips(''));
    expect(nonCanonical).toBeGreaterThan(0);
  });
});
