/**
 * A demo citizen's view against a running platform (`npm start`): signs in at the local OpenID
 * provider as a demo citizen (authorization code + PKCE through its login and consent pages),
 * exchanges the ID token at the gateway for a patient token, and prints their record's owner and
 * who accessed it, in plain terms.
 *
 *   node -r @swc-node/register tools/demo/citizen.ts [--citizen 0]
 *
 * Demo citizens: .trellis/demo/citizens.json (made by apps/citizen-idp from the seeded patients).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { citizenSignIn } from '../../apps/gateway/test/support/citizen-login';

interface Citizen {
  email: string;
  password: string;
  nhsNumber: string;
}

async function main(): Promise<void> {
  const home = process.env.TRELLIS_HOME ?? join(__dirname, '../../.trellis');
  const i = process.argv.indexOf('--citizen');
  const index = i >= 0 ? Number(process.argv[i + 1]) : 0;
  const citizens = JSON.parse(readFileSync(join(home, 'demo/citizens.json'), 'utf8')) as Citizen[];
  const citizen = citizens[index];
  if (!citizen) throw new Error(`no demo citizen ${index} in ${home}/demo/citizens.json`);
  const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
  const session = await citizenSignIn({
    issuer: process.env.CITIZEN_OIDC_ISSUER ?? 'http://127.0.0.1:8089',
    clientId: 'trellis-citizen',
    redirectUri: 'http://127.0.0.1:8090/callback',
    email: citizen.email,
    password: citizen.password,
    tokenUrl: `${gateway}/oauth2/token`,
  });
  const get = async (path: string) =>
    (await (
      await fetch(`${gateway}/fhir/${path}`, {
        headers: { authorization: `Bearer ${session.accessToken}` },
      })
    ).json()) as Record<string, unknown>;
  const patient = (await get(`Patient/${session.patient}`)) as {
    name?: Array<{ given?: string[]; family?: string }>;
  };
  const name = patient.name?.[0];
  process.stdout.write(
    `Signed in as ${name?.given?.[0] ?? ''} ${name?.family ?? ''} (NHS number ${session.patient}); patient token for ${session.expiresIn} s, scope ${session.scope}\n\nWho looked at your record:\n`,
  );
  const log = (await get(`AuditEvent?patient=${session.patient}&_count=50`)) as {
    entry?: Array<{ resource: { text?: { div?: string } } }>;
  };
  for (const e of log.entry ?? [])
    process.stdout.write(`  - ${(e.resource.text?.div ?? '').replace(/<[^>]+>/g, '')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err instanceof Error ? err.message : err)}\n`);
  process.exit(1);
});
