/**
 * Prints a platform access token for a demo system (after `npx nx run gateway:seed`):
 *
 *   node -r @swc-node/register tools/demo/get-token.ts gp "system/Patient.rs system/Appointment.cruds"
 *   node -r @swc-node/register tools/demo/get-token.ts operator trellis/admin
 *
 * It does what a local system does (SMART Backend Services): signs a client assertion with its
 * private key (ES384, kid from the key file; iss = sub = client id, aud = the token URL, jti
 * fresh, exp in 2 minutes) and POSTs it to /oauth2/token.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { importJWK, SignJWT, type JWK } from 'jose';

interface DemoIndex {
  tokenUrl: string;
  systems: Array<{ alias: string; clientId: string }>;
}

async function main(): Promise<void> {
  const [who = 'gp', scopeArg] = process.argv.slice(2);
  const dir = resolve(process.env['TRELLIS_DEMO_DIR'] ?? join(__dirname, '../../.trellis/demo'));
  const index = JSON.parse(readFileSync(join(dir, 'systems.json'), 'utf8')) as DemoIndex;
  const system = index.systems.find((s) => s.alias === who || s.clientId === who);
  if (!system)
    throw new Error(
      `unknown demo system ${who}; one of ${index.systems.map((s) => s.alias).join(', ')}`,
    );
  const jwk = JSON.parse(
    readFileSync(join(dir, `${system.clientId}.private.jwk.json`), 'utf8'),
  ) as JWK & { kid: string; alg: string };
  const key = await importJWK(jwk, jwk.alg);
  const tokenUrl = process.env['GATEWAY_TOKEN_URL'] ?? index.tokenUrl;
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'JWT' })
    .setIssuer(system.clientId)
    .setSubject(system.clientId)
    .setAudience(tokenUrl)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(key);
  const scope = scopeArg ?? (who === 'operator' ? 'trellis/admin' : 'system/Patient.rs');
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
  process.stdout.write(`${body.access_token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
