import { randomUUID } from 'node:crypto';

import { importJWK, SignJWT, type JWK } from 'jose';

/** A connected system's client id and private signing key (kid and alg set). */
export interface SystemKey {
  clientId: string;
  jwk: JWK & { kid: string; alg: string };
}

/**
 * What a local system does to get a platform token (SMART Backend Services): signs a client
 * assertion (iss = sub = client id, aud = the token URL, fresh jti, exp in 2 minutes) and POSTs it
 * to the token endpoint with the scopes it asks for.
 */
export async function requestSystemToken(
  tokenUrl: string,
  sys: SystemKey,
  scope: string,
): Promise<string> {
  const key = await importJWK(sys.jwk, sys.jwk.alg);
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: sys.jwk.alg, kid: sys.jwk.kid, typ: 'JWT' })
    .setIssuer(sys.clientId)
    .setSubject(sys.clientId)
    .setAudience(tokenUrl)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(key);
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope,
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!res.ok || !body.access_token)
    throw new Error(`token endpoint answered ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
