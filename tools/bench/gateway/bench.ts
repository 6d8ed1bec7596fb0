/**
 * Gateway FHIR benchmark: Patient read and search through the FHIR facade.
 *
 *   node -r @swc-node/register tools/bench/gateway/bench.ts [--patients 20000] [--schema <s>]
 *        [--seconds 20] [--connections 64] [--runs 3] [--goal 3500] [--prof-dir /tmp/prof]
 *        [--search trace|identifier]
 *
 * --patients > 20000 uses the identity bench schema (identity_bench, NHS ranges 999 then 998, the
 * same seeding as tools/bench/identity) so one 1 M seed serves both benches; smaller counts use
 * fhir_bench_identity (range 990–999). --runs N repeats read and search N times and reports the
 * medians and their ratio to --goal (req/s). CPU per request (gateway, identity, PostgreSQL) is
 * measured from the processes' own counters, which is steadier than req/s on a shared machine.
 * --prof-dir writes a CPU profile of the gateway covering the first read run only;
 * BENCH_IDENTITY_NODE_ARGS="--cpu-prof --cpu-prof-dir=..." profiles the identity process.
 *
 * (1) seeds N synthetic patients into an identity schema (apps/identity/src/seed; skipped
 * when already seeded), (2) boots the real gateway (fresh schema + topics, as the tests do) in this
 * process and the identity platform as a separate process verifying the gateway's tokens through
 * its JWKS, (3) registers a connected system and gets a token at the real token endpoint, (4) runs
 * tools/bench/gateway/load.ts as a separate process: GET /fhir/Patient/{nhs} and
 * GET /fhir/Patient?family=..&birthdate=.. (or, with --search identifier, the search by NHS number
 * GET /fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|..) at C connections for D seconds
 * each. Prints one JSON report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadInfraEnv } from '@trellis/testing';
import { Client } from 'pg';

import { seed } from '@trellis/identity/src/public';
import {
  freePort,
  getToken,
  registerClient,
  startGateway,
} from '@trellis/gateway/test/support/harness';

import { cpuMs, machineJiffies, postgresByClient, snapshot } from '../peers/hapi/procs';

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

/** NHS number ranges of the bench schemas: ~909 k valid numbers per 1 M range (mod-11 check digit). */
const RANGES = {
  fhir_bench_identity: [{ name: 'fhir_bench_999', first: 990_000_000, last: 999_999_999 }],
  identity_bench: [
    { name: 'bench_999', first: 999_000_000, last: 999_999_999 },
    { name: 'bench_998', first: 998_000_000, last: 998_999_999 },
  ],
} as const;
const PER_RANGE = 900_000;

/** Seeds up to `patients` in `schema`, filling its ranges one after the other. */
async function seedPatients(
  url: string,
  schema: keyof typeof RANGES,
  patients: number,
): Promise<{ inserted: number; ms: number }> {
  let inserted = 0;
  let ms = 0;
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const countIn = async (first: number, last: number): Promise<number> => {
    const exists = await pg.query<{ t: string | null }>(
      `SELECT to_regclass('"${schema}".patient')::text AS t`,
    );
    if (!exists.rows[0]?.t) return 0;
    const r = await pg.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${schema}".patient WHERE nhs_number BETWEEN $1 AND $2`,
      [`${first}0`, `${last}9`],
    );
    return Number(r.rows[0]?.n ?? 0);
  };
  try {
    const ranges = RANGES[schema];
    for (const [i, range] of ranges.entries()) {
      let total = 0;
      for (const r of ranges) total += await countIn(r.first, r.last);
      const need = patients - total;
      if (need <= 0) break;
      const last = i === ranges.length - 1;
      const room = last ? need : PER_RANGE - (await countIn(range.first, range.last));
      const count = Math.min(need, room);
      if (count <= 0) continue;
      const r = await seed({
        url,
        schema,
        count,
        batch: 5000,
        seed: schema === 'identity_bench' ? 20261123 + i : 8,
        rangeName: range.name,
        first: range.first,
        last: range.last,
      });
      inserted += r.inserted;
      ms += r.ms;
    }
  } finally {
    await pg.end();
  }
  return { inserted, ms };
}

/** utime + stime of a process in ms (Linux /proc, CLK_TCK 100); 0 when unavailable. */
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU ms of every PostgreSQL process on this machine (other load on it counts too). */
function postgresCpuMs(): number {
  let total = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') {
        total += procCpuMs(Number(d));
      }
    } catch {
      /* exited meanwhile */
    }
  }
  return total;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round(((s[m - 1]! + s[m]!) / 2) * 100) / 100;
}

async function main(): Promise<void> {
  const env = loadInfraEnv();
  Object.assign(process.env, env);
  const patients = Number(arg('patients', '20000'));
  const schemaArg = arg('schema', patients > 20_000 ? 'identity_bench' : 'fhir_bench_identity');
  if (!(schemaArg in RANGES)) {
    throw new Error(`--schema must be one of ${Object.keys(RANGES).join(', ')}`);
  }
  const schema = schemaArg as keyof typeof RANGES;
  const seconds = arg('seconds', '20');
  const connections = arg('connections', '64');
  const runs = Number(arg('runs', '1'));
  const goal = Number(arg('goal', '3500'));
  const profDir = arg('prof-dir', '');
  const searchKind = arg('search', 'trace');
  if (searchKind !== 'trace' && searchKind !== 'identifier') {
    throw new Error('--search must be trace (family + birthdate) or identifier (NHS number)');
  }
  const seeded = await seedPatients(env.DATABASE_URL, schema, patients);
  const range = RANGES[schema][0];

  const identityGrpc = await freePort();
  const identityHttp = await freePort();
  const gw = await startGateway({
    IDENTITY_GRPC_ADDR: `127.0.0.1:${identityGrpc}`,
    GATEWAY_RATE_LIMIT_PER_WINDOW: '100000000',
    LOG_LEVEL: 'error',
  });
  const identity: ChildProcess = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_IDENTITY_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      '-r',
      '@swc-node/register',
      join(ROOT, 'apps/identity/src/main.ts'),
    ],
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
        NHS_NUMBER_RANGE_NAME: range.name,
        NHS_NUMBER_RANGE_FIRST: String(range.first),
        NHS_NUMBER_RANGE_LAST: String(range.last),
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
        sample.map((s) =>
          searchKind === 'identifier'
            ? `/fhir/Patient?identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${s.nhs}`)}`
            : `/fhir/Patient?family=${encodeURIComponent(s.family)}&birthdate=${s.birth}&_count=10`,
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
    const measure = async (file: string, profile: boolean): Promise<Record<string, unknown>> => {
      const session = profile ? new Session() : undefined;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const clients = { gateway: [process.pid], identity: identity.pid ? [identity.pid] : [] };
      const backends0 = snapshot(Object.fromEntries(postgresByClient(clients)));
      const machine0 = machineJiffies();
      const gw0 = process.cpuUsage();
      const id0 = identity.pid ? procCpuMs(identity.pid) : 0;
      const pg0 = postgresCpuMs();
      const r = await load(file);
      const gwUsage = process.cpuUsage(gw0);
      const gwMs = (gwUsage.user + gwUsage.system) / 1000;
      const idMs = (identity.pid ? procCpuMs(identity.pid) : 0) - id0;
      const pgMs = postgresCpuMs() - pg0;
      const machine1 = machineJiffies();
      // backends opened during the round count from 0 (they were born in it)
      const backendMs = (group: string): number =>
        (postgresByClient(clients).get(group) ?? []).reduce(
          (a, pid) => a + Math.max(0, cpuMs(pid) - (backends0[group]?.get(pid) ?? 0)),
          0,
        );
      const pgGatewayMs = backendMs('gateway');
      const pgIdentityMs = backendMs('identity');
      if (session) {
        const { profile: p } = await session.post('Profiler.stop');
        mkdirSync(profDir, { recursive: true });
        writeFileSync(join(profDir, `gateway-${Date.now()}.cpuprofile`), JSON.stringify(p));
        session.disconnect();
      }
      // CPU is counted over the 2 s warm-up too: scale the measured requests to the whole span.
      const measured = Number(r.seconds);
      const served = ((Number(r.requests) || 1) * (measured + 2)) / measured;
      const perReq = (ms: number): number => Math.round((ms * 1000) / served);
      return {
        ...r,
        machineBusyPct: Math.round(
          (100 * (machine1.busy - machine0.busy)) / Math.max(1, machine1.total - machine0.total),
        ),
        loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
        cpuUsPerRequest: {
          gateway: perReq(gwMs),
          identity: perReq(idMs),
          // the backends of the gateway's and identity's own connections (by client socket)
          pgGateway: perReq(pgGatewayMs),
          pgIdentity: perReq(pgIdentityMs),
          // every postgres process on the machine; a backend that exits takes its CPU with it,
          // so other clients' connections can make this undercount (NaN when it went negative)
          postgres: pgMs >= 0 ? perReq(pgMs) : NaN,
          loadGenerator: Number(r.loadCpuUsPerRequest),
        },
      };
    };
    const readRuns: Array<Record<string, unknown>> = [];
    const searchRuns: Array<Record<string, unknown>> = [];
    for (let i = 0; i < runs; i++) {
      const r = await measure(reads, i === 0 && profDir !== '');
      readRuns.push(r);
      process.stderr.write(`read run ${i + 1}: ${JSON.stringify(r)}\n`);
      const s = await measure(searches, false);
      searchRuns.push(s);
      process.stderr.write(`search run ${i + 1}: ${JSON.stringify(s)}\n`);
    }
    const summary = (rs: Array<Record<string, unknown>>): Record<string, unknown> => {
      const rps = median(rs.map((r) => Number(r.rps)));
      const cpu = (
        k: 'gateway' | 'identity' | 'pgGateway' | 'pgIdentity' | 'postgres' | 'loadGenerator',
      ): number =>
        median(
          rs
            .map((r) => (r.cpuUsPerRequest as Record<string, number>)[k] ?? NaN)
            .filter((v) => Number.isFinite(v)),
        );
      return {
        medianRps: rps,
        ratioToGoal: Math.round((rps / goal) * 1000) / 1000,
        medianP50Ms: median(rs.map((r) => Number(r.p50Ms))),
        medianP99Ms: median(rs.map((r) => Number(r.p99Ms))),
        medianCpuUsPerRequest: {
          gateway: cpu('gateway'),
          identity: cpu('identity'),
          pgGateway: cpu('pgGateway'),
          pgIdentity: cpu('pgIdentity'),
          postgres: cpu('postgres'),
          loadGenerator: cpu('loadGenerator'),
        },
        errors: rs.reduce((a, r) => a + Number(r.errors), 0),
        runsRps: rs.map((r) => r.rps),
      };
    };
    console.log(
      JSON.stringify(
        {
          patients,
          schema,
          seededNow: seeded.inserted,
          seedMs: seeded.ms,
          connections: Number(connections),
          seconds: Number(seconds),
          searchKind,
          goalRps: goal,
          read: summary(readRuns),
          search: summary(searchRuns),
          cpus: cpus().length,
          loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
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
