/**
 * Identity benchmark. The service runs as its own process (apps/identity/src/main.ts, spawned here
 * with its own env); this process only generates load over gRPC.
 *
 *   node -r @swc-node/register tools/bench/identity/bench.ts [--seed 1000000] [--schema identity_bench]
 *        [--read-seconds 30] [--concurrency 64] [--traces 2000] [--trace-concurrency 8]
 *
 * Steps: (1) seed N synthetic patients into the schema with apps/identity/src/seed (timed; skipped
 * with --seed 0 when the schema is already seeded), (2) start the identity service against it,
 * (3) read-by-NHS-number at 64 concurrent callers for D seconds: throughput, p50/p99,
 * (4) fuzzy traces built from sampled patients with typos / nicknames / swapped day-month: p50/p99.
 * Prints one JSON report. Tokens come from an in-process test authority whose JWKS this process
 * serves over HTTP to the service (AUTH_JWKS_URL), exactly as the gateway would.
 */
import { createTestAuthority, withTestServiceIdentity } from '@trellis/auth/testing';
import { identity } from '@trellis/contracts';
import { grpcChannel, typedClient, type ForwardCallOptions } from '@trellis/service-kit';
import { loadInfraEnv } from '@trellis/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { seed } from '@trellis/identity/src/public';

const ROOT = join(__dirname, '../../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
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

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

function typo(s: string): string {
  if (s.length < 4) return s;
  const i = 1 + Math.floor(Math.random() * (s.length - 2));
  return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
}

async function main(): Promise<void> {
  const env = loadInfraEnv();
  const schema = arg('schema', 'identity_bench');
  const seedCount = Number(arg('seed', '0'));
  const readSeconds = Number(arg('read-seconds', '30'));
  const concurrency = Number(arg('concurrency', '64'));
  const traces = Number(arg('traces', '2000'));
  const traceConcurrency = Number(arg('trace-concurrency', '8'));
  const report: Record<string, unknown> = { schema, cpus: (await import('node:os')).cpus().length };

  if (seedCount > 0) {
    const r = await seed({
      url: env.DATABASE_URL,
      schema,
      count: seedCount,
      batch: 5000,
      seed: 20261123,
      rangeName: arg('range-name', 'bench_999'),
      first: Number(arg('range-first', '999000000')),
      last: Number(arg('range-last', '999999999')),
    });
    report.seed = {
      patients: r.inserted,
      seconds: round(r.ms / 1000),
      per_second: Math.round(r.inserted / (r.ms / 1000)),
    };
    process.stderr.write(`seeded ${r.inserted} in ${r.ms / 1000}s\n`);
  }

  const pg = new Client({
    connectionString: env.DATABASE_URL,
    options: `-c search_path=${schema},public`,
  });
  await pg.connect();
  const total = (await pg.query<{ n: string }>('SELECT count(*)::text AS n FROM patient')).rows[0]!
    .n;
  report.patients = Number(total);
  const sample = (
    await pg.query<{
      nhs_number: string;
      family: string;
      given: string[];
      birth_date: string;
      gender: string;
      postcode: string;
    }>(
      `SELECT p.nhs_number, n.family, n.given, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.gender::text AS gender, a.postcode
         FROM patient p TABLESAMPLE SYSTEM (1)
         JOIN patient_name n ON n.nhs_number = p.nhs_number AND n.position = 0
         JOIN patient_address a ON a.nhs_number = p.nhs_number AND a.position = 0
        WHERE p.merged_into IS NULL AND p.confidentiality = 'normal'
        LIMIT 20000`,
    )
  ).rows;
  await pg.end();
  if (sample.length === 0) throw new Error(`schema ${schema} has no patients: run with --seed N`);

  // token authority + JWKS endpoint (what the gateway provides in a deployment)
  const authority = await createTestAuthority();
  const jwksServer = createHttpServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(authority.jwks));
  });
  const jwksPort = await freePort();
  await new Promise<void>((r) => jwksServer.listen(jwksPort, '127.0.0.1', r));
  const grpcPort = await freePort();
  const httpPort = await freePort();

  const service: ChildProcess = spawn(
    process.execPath,
    [
      // e.g. BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the service
      ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
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
        DATABASE_POOL_SIZE: arg('pool', '16'),
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        LOG_LEVEL: 'warn',
        AUTH_ISSUER: authority.issuer,
        AUTH_JWKS_URL: `http://127.0.0.1:${jwksPort}/jwks.json`,
        NHS_NUMBER_RANGE_NAME: 'bench_999',
        OUTBOX_RELAY_ENABLED: arg('relay', 'false'),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const token = await authority.issue({
    scopes: ['system/Patient.rs', 'trellis/restricted.read'],
    systemId: 'bench',
    lifetimeSeconds: 300,
  });
  // the typed client the gateway uses (its forwarding middleware); the bench plays the gateway
  // (platforms admit only it and peers)
  const channel = grpcChannel(`127.0.0.1:${grpcPort}`);
  const patients = typedClient(identity.v1.PatientServiceDefinition, channel, {
    deadlineMs: 30_000,
    outgoing: withTestServiceIdentity,
  });
  const caller: ForwardCallOptions = { forward: { authorization: `Bearer ${token}` } };

  try {
    // wait for the service
    const ready = Date.now() + 60_000;
    for (;;) {
      try {
        await patients.getPatient({ nhsNumber: sample[0]!.nhs_number }, caller);
        break;
      } catch (e) {
        if (Date.now() > ready) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    // warm-up
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        patients.getPatient({ nhsNumber: sample[i % sample.length]!.nhs_number }, caller),
      ),
    );

    // (3) reads
    const cpu0 = service.pid ? procCpuMs(service.pid) : 0;
    const lat: number[] = [];
    let errors = 0;
    const until = Date.now() + readSeconds * 1000;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          const p = sample[Math.floor(Math.random() * sample.length)]!;
          const t0 = process.hrtime.bigint();
          try {
            await patients.getPatient({ nhsNumber: p.nhs_number }, caller);
            lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          } catch {
            errors++;
          }
        }
      }),
    );
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuMs = (service.pid ? procCpuMs(service.pid) : 0) - cpu0;
    lat.sort((a, b) => a - b);
    report.read = {
      concurrency,
      seconds: round(secs),
      calls: lat.length,
      errors,
      per_second: Math.round(lat.length / secs),
      p50_ms: round(pct(lat, 50)),
      p99_ms: round(pct(lat, 99)),
      // the service's own CPU per read (utime + stime): steadier than reads/s on a shared machine
      service_cpu_us_per_read: Math.round((cpuMs * 1000) / Math.max(lat.length, 1)),
      load_average: loadavg().map(round),
    };
    process.stderr.write(`read: ${JSON.stringify(report.read)}\n`);

    // (4) fuzzy traces
    const tl: number[] = [];
    let found = 0;
    let terrors = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: traceConcurrency }, async () => {
        for (;;) {
          const i = next++;
          if (i >= traces) return;
          const p = sample[i % sample.length]!;
          const [y, m, d] = p.birth_date.split('-');
          const swap = Number(d) <= 12 && i % 4 === 0;
          const req: identity.v1.TracePatientsRequest = {
            family: i % 2 === 0 ? typo(p.family) : p.family,
            given: p.given[0] ?? '',
            gender:
              p.gender === 'male'
                ? identity.v1.Gender.GENDER_MALE
                : identity.v1.Gender.GENDER_FEMALE,
            birthDate: swap ? `${y}-${d}-${m}` : p.birth_date,
            birthDateFrom: '',
            birthDateTo: '',
            postcode: i % 3 === 0 ? p.postcode : '',
            gpOdsCode: '',
            mode: identity.v1.TraceMode.TRACE_MODE_FUZZY,
            maxResults: 10,
            minScore: 0,
            singleMatch: false,
          };
          const t0 = process.hrtime.bigint();
          try {
            const r = await patients.tracePatients(req, caller);
            tl.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if ((r.hits ?? []).some((h) => h.patient?.nhsNumber === p.nhs_number)) found++;
          } catch {
            terrors++;
          }
        }
      }),
    );
    tl.sort((a, b) => a - b);
    report.trace = {
      queries: tl.length,
      concurrency: traceConcurrency,
      errors: terrors,
      found_rate: round(found / Math.max(tl.length, 1)),
      p50_ms: round(pct(tl, 50)),
      p99_ms: round(pct(tl, 99)),
    };
    process.stderr.write(`trace: ${JSON.stringify(report.trace)}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    channel.close();
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
    jwksServer.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${String(e instanceof Error ? e.stack : e)}\n`);
    process.exit(1);
  },
);
