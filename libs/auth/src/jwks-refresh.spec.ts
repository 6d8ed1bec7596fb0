import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

import { AuthErrorCode } from './errors';
import { createTestAuthority, type TestAuthority } from '../testing';
import { AccessTokenVerifier } from './token-verifier';

// A loopback JWKS endpoint whose content the test swaps, as the gateway does on key rotation.
describe('remote JWKS: cached, refreshed on an unknown kid', () => {
  let server: Server;
  let url: string;
  let served: { keys: unknown[] };
  let fetches = 0;
  let oldKey: TestAuthority;
  let newKey: TestAuthority;

  beforeAll(async () => {
    oldKey = await createTestAuthority('https://gw.test');
    newKey = await createTestAuthority('https://gw.test');
    served = oldKey.jwks;
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('fetches once for many tokens, then refetches when a token names a new kid', async () => {
    const verifier = new AccessTokenVerifier({
      issuer: 'https://gw.test',
      jwksUrl: url,
      jwksCooldownMs: 0,
    });
    for (let i = 0; i < 5; i++) await verifier.verify(await oldKey.issue({ scopes: [] }));
    expect(fetches).toBe(1);

    // rotation: the gateway now publishes current (new) + previous (old)
    served = { keys: [...newKey.jwks.keys, ...oldKey.jwks.keys] };
    await expect(verifier.verify(await newKey.issue({ scopes: [] }))).resolves.toMatchObject({
      systemId: 'test-system',
    });
    expect(fetches).toBe(2);
    await verifier.verify(await oldKey.issue({ scopes: [] })); // previous key still valid
    expect(fetches).toBe(2);
  });

  it('refuses a kid that is not published even after the refresh', async () => {
    const verifier = new AccessTokenVerifier({
      issuer: 'https://gw.test',
      jwksUrl: url,
      jwksCooldownMs: 0,
    });
    const stranger = await createTestAuthority('https://gw.test');
    await expect(verifier.verify(await stranger.issue({ scopes: [] }))).rejects.toMatchObject({
      code: AuthErrorCode.InvalidToken,
    });
  });

  it('reports an unreachable JWKS as unavailable, not as a bad token', async () => {
    const verifier = new AccessTokenVerifier({
      issuer: 'https://gw.test',
      jwksUrl: 'http://127.0.0.1:1/jwks.json',
    });
    await expect(verifier.verify(await oldKey.issue({ scopes: [] }))).rejects.toMatchObject({
      code: AuthErrorCode.AuthUnavailable,
    });
  });
});
