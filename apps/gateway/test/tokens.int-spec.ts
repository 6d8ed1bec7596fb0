// Token endpoint (SMART Backend Services / private_key_jwt) against the real gateway over HTTP,
// with PostgreSQL (registry, jti replay cache) and Kafka (suspension feed) behind it.
import { randomUUID } from 'node:crypto';

import { decodeJwt, decodeProtectedHeader } from 'jose';

import {
  assertion,
  newClientKey,
  registerClient,
  requestToken,
  startGateway,
  type GatewayUnderTest,
  type TestClient,
} from './support/harness';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('gateway token endpoint', () => {
  let gw: GatewayUnderTest;
  let es: TestClient;
  let rs: TestClient;

  beforeAll(async () => {
    gw = await startGateway();
    es = await registerClient(gw, {
      scopes: ['system/Patient.rs', 'system/Appointment.cruds'],
      odsCode: 'Y12345',
      region: 'north-east',
    });
    rs = await registerClient(gw, {
      scopes: ['system/Patient.r'],
      alg: 'RS384',
      odsCode: 'RGT01',
      region: 'london',
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const form = async (
    client: TestClient,
    scope: string,
    o: Parameters<typeof assertion>[2] = {},
  ): Promise<Record<string, string>> => ({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER,
    client_assertion: await assertion(client, gw.tokenUrl, o),
    scope,
  });

  it('issues a short-lived platform token for ES384 and RS384 assertions', async () => {
    for (const [client, ods, region] of [
      [es, 'Y12345', 'north-east'],
      [rs, 'RGT01', 'london'],
    ] as const) {
      const r = await requestToken(gw.tokenUrl, await form(client, 'system/Patient.r'));
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.body).toMatchObject({
        token_type: 'bearer',
        expires_in: 300,
        scope: 'system/Patient.r',
      });
      const token = r.body['access_token'] as string;
      const header = decodeProtectedHeader(token);
      expect(header).toMatchObject({ alg: 'ES384', typ: 'at+jwt' });
      expect(typeof header.kid).toBe('string');
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({
        iss: gw.baseUrl,
        sub: client.id,
        client_id: client.id,
        ods_code: ods,
        region,
        scope: 'system/Patient.r',
      });
      expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(300);
    }
  });

  it('publishes the JWKS (with the signing kid) and the SMART configuration', async () => {
    const jwks = (await (await fetch(`${gw.baseUrl}/.well-known/jwks.json`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const k of jwks.keys) expect(k['d']).toBeUndefined();
    const smart = (await (
      await fetch(`${gw.baseUrl}/.well-known/smart-configuration`)
    ).json()) as Record<string, unknown>;
    expect(smart).toMatchObject({
      token_endpoint: gw.tokenUrl,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      grant_types_supported: ['client_credentials'],
    });
  });

  it.each([
    ['wrong aud', { aud: 'https://elsewhere.example/oauth2/token' }],
    ['aud with an extra value', { aud: ['https://x.example', 'https://y.example'] }],
    ['exp more than 5 minutes ahead', { expInSeconds: 600 }],
    ['expired assertion', { expInSeconds: -60 }],
    ['unknown kid', { kid: 'not-registered' }],
    ['iss != sub', { sub: 'someone-else' }],
    ['missing jti', { omit: ['jti' as const] }],
    ['no kid in the header', { omit: ['kid' as const] }],
    ['iat in the future (beyond the clock skew)', { iatInSeconds: 60 }],
  ])(
    'refuses an assertion with %s as invalid_client (no detail leaked)',
    async (_name, overrides) => {
      const r = await requestToken(gw.tokenUrl, await form(es, 'system/Patient.r', overrides));
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: 'invalid_client' });
    },
  );

  it('refuses a reused jti (replay) even within its lifetime', async () => {
    const jti = randomUUID();
    expect(
      (await requestToken(gw.tokenUrl, await form(es, 'system/Patient.r', { jti }))).status,
    ).toBe(200);
    const replay = await requestToken(gw.tokenUrl, await form(es, 'system/Patient.r', { jti }));
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ error: 'invalid_client' });
  });

  it('refuses assertions signed with a key that is not registered', async () => {
    const other = await newClientKey('ES384');
    const forged: TestClient = { ...other, id: es.id, kid: es.kid };
    const r = await requestToken(gw.tokenUrl, await form(forged, 'system/Patient.r'));
    expect(r.status).toBe(401);
  });

  it('refuses unknown clients, alg none and HS256 assertions', async () => {
    const stranger: TestClient = { ...(await newClientKey()), id: 'nobody' };
    expect(
      (await requestToken(gw.tokenUrl, await form(stranger, 'system/Patient.r'))).body,
    ).toEqual({ error: 'invalid_client' });
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: 'none' })}.${b64({ iss: es.id, sub: es.id, aud: gw.tokenUrl, jti: randomUUID(), exp: now + 60 })}.`;
    const r = await requestToken(gw.tokenUrl, {
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER,
      client_assertion: none,
      scope: 'system/Patient.r',
    });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'invalid_client' });
  });

  it('refuses scopes beyond the allowed ones and malformed scopes as invalid_scope', async () => {
    for (const scope of [
      'system/Patient.c',
      'trellis/admin',
      'system/Patient.sr',
      'system/Patient.rs system/Observation.r',
    ]) {
      const r = await requestToken(gw.tokenUrl, await form(es, scope));
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: 'invalid_scope' });
    }
    // letter subsets of an allowed scope are fine
    expect(
      (await requestToken(gw.tokenUrl, await form(es, 'system/Patient.s system/Appointment.cu')))
        .status,
    ).toBe(200);
  });

  it('answers RFC 6749 errors for malformed requests', async () => {
    expect(
      (
        await requestToken(gw.tokenUrl, {
          ...(await form(es, 'system/Patient.r')),
          grant_type: 'password',
        })
      ).body,
    ).toEqual({
      error: 'unsupported_grant_type',
    });
    const noAssertion = await requestToken(gw.tokenUrl, {
      grant_type: 'client_credentials',
      scope: 'system/Patient.r',
    });
    expect(noAssertion.status).toBe(400);
    expect(noAssertion.body).toEqual({ error: 'invalid_request' });
    const wrongType = await requestToken(gw.tokenUrl, {
      ...(await form(es, 'system/Patient.r')),
      client_assertion_type: 'urn:other',
    });
    expect(wrongType.body).toEqual({ error: 'invalid_request' });
    expect((await requestToken(gw.tokenUrl, {})).body).toEqual({ error: 'invalid_request' });
  });

  it('takes application/x-www-form-urlencoded only, bounded (413 as RFC 6749 JSON, was 500)', async () => {
    const post = async (contentType: string, body: string) => {
      const res = await fetch(gw.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      return {
        status: res.status,
        error: ((await res.json()) as { error?: string }).error,
        cache: res.headers.get('cache-control'),
      };
    };
    const json = await post('application/json', JSON.stringify(await form(es, 'system/Patient.r')));
    expect(json).toEqual({ status: 400, error: 'invalid_request', cache: 'no-store' });
    const huge = await post('application/x-www-form-urlencoded', `a=${'b'.repeat(10_000_000)}`);
    expect(huge).toEqual({ status: 413, error: 'invalid_request', cache: 'no-store' });
    const params = Array.from({ length: 100 }, (_, i) => `p${i}=1`).join('&');
    expect((await post('application/x-www-form-urlencoded', params)).status).toBe(413);
    // the same assertion as a form is fine
    expect((await requestToken(gw.tokenUrl, await form(es, 'system/Patient.r'))).status).toBe(200);
  });
});
