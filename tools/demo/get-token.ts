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
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { JWK } from 'jose';

import { requestSystemToken } from './system-token';

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
  const tokenUrl = process.env['GATEWAY_TOKEN_URL'] ?? index.tokenUrl;
  const scope = scopeArg ?? (who === 'operator' ? 'trellis/admin' : 'system/Patient.rs');
  const token = await requestSystemToken(tokenUrl, { clientId: system.clientId, jwk }, scope);
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
