/**
 * Gateway FHIR benchmark: Patient read and search through the FHIR facade.
 *
 *   node -r @swc-node/register tools/bench/gateway/bench.ts [--patients 20000] [--schema fhir_bench_identity]
 *        [--seconds 20] [--connections 64]
 *
 * (1) seeds N synthetic patients into an identity schema of its own (apps/identity/src/seed; skipped
 * when already seeded), (2) boots the real gateway (fresh schema + topics, as the tests do) in this
 * process and the identity platform as a separate process verifying the gateway's tokens through
 * its JWKS, (3) registers a connected system and gets a token at the real token endpoint, (4) runs
 * tools/bench/gateway/load.ts as a separate process: GET /fhir/Patient/{nhs} and
 * GET /fhir/Patient?family=..&birthdate=.. at C connections for D seconds each. Prints one JSON report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadInfraEnv } from '@trellis/testing';
import { Client } from 'pg';

import { seed } from '../../../apps/identity/src/seed/seed';
import {
  freePort,
  getToken,
  registerClient,
  startGateway,
} from '../../../apps/gateway/test/support/harness';

const ROOT = join(__dirname, '../../..');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`${args.join(' ')} exited ${code}`)),
    );
  });
}

async function waitReady(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`${url} not ready within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const env = loadInfraEnv();
  Object.assign(process.env, env);
  const schema = arg('schema', 'fhir_bench_identity');
  const patients = Number(arg('patients', '20000'));
  const seconds = arg('seconds', '20');
  const connections = arg('connections', '64');
  const seeded = await seed({
    url: env.DATABASE_URL,
    schema,
    count: patients,
    batch: 5000,
    seed: 8,
    rangeName: 'fhir_bench_999',
    first: 990_000_000,
    last: 999_999_999,
    skipIfSeeded: true,
  });

  const identityGrpc = await freePort();
  const identityHttp = await freePort();
  const gw = await startGateway({
    IDENTITY_GRPC_ADDR: `127.0.0.1:${identityGrpc}`,
    GATEWAY_RATE_LIMIT_PER_WINDOW: '100000000',
    LOG_LEVEL: 'error',
  });
  const identity: ChildProcess = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(ROOT, 'apps/identity/src/main.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        SERVICE_NAME: 'identity',
        DATABASE_SCHEMA: schema,
        DATABASE_POOL_SIZE: '16',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(identityGrpc),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(identityHttp),
        LOG_LEVEL: 'warn',
        AUTH_ISSUER: gw.baseUrl,
        AUTH_JWKS_URL: `${gw.baseUrl}/.well-known/jwks.json`,
        NHS_NUMBER_RANGE_NAME: 'fhir_bench_999',
        NHS_NUMBER_RANGE_FIRST: '990000000',
        NHS_NUMBER_RANGE_LAST: '999999999',
        OUTBOX_RELAY_ENABLED: 'false',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  identity.on('exit', (code) => {
    if (code) console.error(`identity exited ${code}`);
  });
  try {
    await waitReady(`http://127.0.0.1:${identityHttp}/health/ready`, 60_000);
    const scopes = ['system/Patient.rs'];
    const client = await registerClient(gw, { scopes });
    const token = await getToken(gw, client, scopes.join(' '));

    const pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
    const sample = (
      await pg.query<{ nhs: string; family: string; birth: string }>(
        `SELECT p.nhs_number AS nhs, n.family, to_char(p.birth_date, 'YYYY-MM-DD') AS birth
           FROM "${schema.replace(/"/g, '')}".patient p
           JOIN "${schema.replace(/"/g, '')}".patient_name n ON n.nhs_number = p.nhs_number AND n.position = 0
          WHERE p.merged_into IS NULL
          ORDER BY random() LIMIT 5000`,
      )
    ).rows;
    await pg.end();
    const dir = tmpdir();
    const reads = join(dir, `fhir-bench-reads-${process.pid}.json`);
    const searches = join(dir, `fhir-bench-search-${process.pid}.json`);
    writeFileSync(reads, JSON.stringify(sample.map((s) => `/fhir/Patient/${s.nhs}`)));
    writeFileSync(
      searches,
      JSON.stringify(
        sample.map(
          (s) =>
            `/fhir/Patient?family=${encodeURIComponent(s.family)}&birthdate=${s.birth}&_count=10`,
        ),
      ),
    );
    const load = (file: string) =>
      run(
        process.execPath,
        [
          '-r',
          '@swc-node/register',
          join(__dirname, 'load.ts'),
          gw.baseUrl,
          file,
          connections,
          seconds,
          token,
        ],
        { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
      ).then((s) => JSON.parse(s.split('\n').pop()!) as Record<string, unknown>);
    const read = await load(reads);
    const search = await load(searches);
    console.log(
      JSON.stringify(
        {
          patients,
          seededNow: seeded.inserted,
          seedMs: seeded.ms,
          read,
          search,
          cpus: cpus().length,
        },
        null,
        2,
      ),
    );
  } finally {
    identity.kill('SIGTERM');
    await gw.stop();
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
