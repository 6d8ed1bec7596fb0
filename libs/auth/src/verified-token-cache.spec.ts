import { Metadata, status } from '@grpc/grpc-js';
import { type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { type JWTVerifyGetKey } from 'jose';

import { DEFAULT_PUBLIC_KEYS, TrellisAuthGuard } from './auth.guard';
import { callerOf } from './caller';
import { AuthError, AuthErrorCode } from './errors';
import { type ScopeTable } from './scope-table';
import { SystemStatusRegistry } from './system-status';
import { createTestAuthority, type TestAuthority } from '../testing';
import { AccessTokenVerifier } from './token-verifier';
import { VerifiedTokenCache } from './verified-token-cache';

/** A fake clock shared by the verifier, its cache and jose's exp/nbf checks. */
function clock(start: number): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('verified-token cache', () => {
  let authority: TestAuthority;
  beforeAll(async () => {
    authority = await createTestAuthority();
  });

  /** A verifier whose key lookups are counted: a lookup = a full signature verification. */
  function countingVerifier(
    now: () => number,
    cache?: { ttlMs?: number; maxEntries?: number } | false,
  ): { verifier: AccessTokenVerifier; lookups: () => number } {
    let n = 0;
    const keySet: JWTVerifyGetKey = (header, token) => {
      n++;
      return authority.keySet(header, token);
    };
    const verifier = new AccessTokenVerifier({
      issuer: authority.issuer,
      audience: authority.audience,
      keySet,
      now,
      ...(cache !== undefined ? { cache } : {}),
    });
    return { verifier, lookups: () => n };
  }

  it('verifies a token once and answers repeats from the cache, end user per call', async () => {
    const c = clock(Date.now());
    const { verifier, lookups } = countingVerifier(c.now);
    const token = await authority.issue({ systemId: 'gp-1', scopes: ['system/Patient.r'] });
    const first = await verifier.verify(token, 'dr-a');
    const second = await verifier.verify(token, 'dr-b');
    const third = await verifier.verify(token);
    expect(lookups()).toBe(1);
    expect(first).toMatchObject({ systemId: 'gp-1', userId: 'dr-a' });
    expect(second).toMatchObject({ systemId: 'gp-1', userId: 'dr-b' });
    expect(third.userId).toBeUndefined();
    expect(third.scopes).toEqual(['system/Patient.r']);
  });

  it('refuses an expired token even though it was verified and cached before', async () => {
    const c = clock(Date.now());
    // TTL far beyond exp: only exp can end the entry
    const { verifier, lookups } = countingVerifier(c.now, { ttlMs: 3_600_000 });
    const iat = Math.floor(c.now() / 1000);
    const token = await authority.issue({
      scopes: ['system/Patient.r'],
      issuedAt: iat,
      lifetimeSeconds: 60,
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ expiresAt: iat + 60 });
    c.advance(30_000);
    await verifier.verify(token);
    expect(lookups()).toBe(1); // cached
    c.advance(30_000 + 6_000); // past exp + the 5 s skew
    const err = await verifier.verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).code).toBe(AuthErrorCode.InvalidToken);
    expect(lookups()).toBe(2); // the cache did not answer: full verification refused it
  });

  it('re-verifies after the TTL and never caches failures', async () => {
    const c = clock(Date.now());
    const { verifier, lookups } = countingVerifier(c.now, { ttlMs: 1_000 });
    const token = await authority.issue({ scopes: [] });
    await verifier.verify(token);
    c.advance(1_001);
    await verifier.verify(token);
    expect(lookups()).toBe(2);
    const other = await createTestAuthority(authority.issuer, authority.audience);
    const forged = await other.issue({ scopes: ['system/Patient.r'] });
    for (let i = 0; i < 2; i++) {
      await expect(verifier.verify(forged)).rejects.toMatchObject({
        code: AuthErrorCode.InvalidToken,
      });
    }
  });

  it('is a bounded LRU keyed by the exact token', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2 });
    const claims = (id: string) => ({
      systemId: id,
      odsCode: 'A1',
      region: 'london',
      scopes: [],
      tokenId: id,
      expiresAt: Math.floor(Date.now() / 1000) + 300,
    });
    const [a, b, d] = ['a.b.c', 'd.e.f', 'g.h.i'] as const;
    cache.set(a, claims('a'));
    cache.set(b, claims('b'));
    cache.get(a); // a is now the most recent
    cache.set(d, claims('d'));
    expect(cache.size).toBe(2);
    expect(cache.get(b)).toBeUndefined();
    expect(cache.get(a)?.systemId).toBe('a');
    expect(cache.get(d)?.systemId).toBe('d');
    // only the exact token hits: a prefix, an extension or another case of it is a miss
    expect(cache.get('g.h.')).toBeUndefined();
    expect(cache.get('g.h.ij')).toBeUndefined();
    expect(cache.get('G.h.i')).toBeUndefined();
  });

  it('cache off (`cache: false`) verifies every call', async () => {
    const { verifier, lookups } = countingVerifier(Date.now, false);
    const token = await authority.issue({ scopes: [] });
    await verifier.verify(token);
    await verifier.verify(token);
    expect(lookups()).toBe(2);
  });

  it('suspension applies at once to a token answered from the cache', async () => {
    const registry = new SystemStatusRegistry();
    registry.markReady();
    const { verifier, lookups } = countingVerifier(Date.now);
    const table: ScopeTable = {
      '/t.v1.S/Get': { scope: 'system/Patient.r', patientData: false },
    };
    const guard = new TrellisAuthGuard(table, verifier, registry, {
      publicKeys: DEFAULT_PUBLIC_KEYS,
      statusReadyTimeoutMs: 50,
    });
    const token = await authority.issue({ systemId: 'lab', scopes: ['system/Patient.r'] });
    const attempt = async (): Promise<number | 'ok'> => {
      const md = new Metadata();
      md.set('authorization', `Bearer ${token}`);
      const ctx = {
        getType: () => 'rpc',
        getArgs: () => [{}, md, { getPath: () => '/t.v1.S/Get' }],
      } as unknown as ExecutionContext;
      try {
        await guard.canActivate(ctx);
        expect(callerOf(md)?.systemId).toBe('lab');
        return 'ok';
      } catch (e) {
        return ((e as RpcException).getError() as { code: number }).code;
      }
    };
    expect(await attempt()).toBe('ok');
    expect(await attempt()).toBe('ok');
    registry.apply({ systemId: 'lab', status: 'suspended', version: 2 });
    expect(await attempt()).toBe(status.UNAUTHENTICATED);
    registry.apply({ systemId: 'lab', status: 'active', version: 3 });
    expect(await attempt()).toBe('ok');
    expect(lookups()).toBe(1); // every answer above came from the cache
  });
});
