/**
 * Results benchmark: ingest throughput and search latency.
 *
 *   node -r @swc-node/register tools/bench/results/bench.ts [--mode grpc|service]
 *        [--reports 20000] [--concurrency 64] [--patients 5000]
 *        [--search-observations 10000000] [--searches 2000] [--search-concurrency 16] [--keep]
 *        [--batch 100]   (SubmitReports with 100 reports per call; --concurrency = calls in flight)
 *
 * (1) Ingest: N reports of 5 observations each (FBC-shaped, random values, ~30 % abnormal),
 *     C concurrent submitters, unique lab identifiers, patients drawn from a pool that a real
 *     gRPC identity server knows. --mode grpc (default): the real results service (platform
 *     bootstrap, auth guard + access audit, gRPC) in this process, load over gRPC with bearer
 *     tokens — so the load generator shares the CPU with the service. --mode service: straight
 *     into ReportsService (validation, UCUM, identity over gRPC, PostgreSQL, outbox), no transport.
 * (2) Search: bulk-loads reports until the schema holds --search-observations observations (SQL
 *     generate_series, 5 per report, spread over the same patients and 3 requesters), ANALYZE,
 *     then S searches of three shapes through ReportsService.search (page size 50):
 *     patient; patient + observation code; requester organisation + 30-day window.
 * Prints one JSON report. Uses a fresh schema (dropped at the end unless --keep); the relay is off
 * in grpc mode, so outbox rows accumulate rather than compete for the CPU.
 */
import { StaticSystemStatusFeed } from '@trellis/auth';
import { createTestAuthority } from '@trellis/auth/testing';
import { createPrismaClient } from '@trellis/database';
import { createOutbox } from '@trellis/events';
import { CachingPatientDirectory, IdentityPatientDirectory } from '@trellis/identity-client';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';
import { completeNhsNumber } from '@trellis/nhs-number';
import { bootstrapService } from '@trellis/service-kit';
import { createTestSchema, freePort, loadInfraEnv } from '@trellis/testing';
import { join } from 'node:path';
import { Client } from 'pg';

import {
  createResultsModule,
  LOINC_SYSTEM,
  OutboxResultEventSink,
  patientDirectoryErrors,
  PrismaClient,
  ReportsRepository,
  ReportsService,
  resultsConfigSchema,
  submissionFromProto,
} from '@trellis/results/src/public';
import { ResultsGrpcClient } from '@trellis/results/test/support/grpc-client';
import { fbc, I } from '@trellis/results/test/support/reports';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const MODE = arg('mode', 'grpc');
const REPORTS = Number(arg('reports', '20000'));
const CONCURRENCY = Number(arg('concurrency', '64'));
const PATIENTS = Number(arg('patients', '5000'));
const SEARCH_OBS = Number(arg('search-observations', '10000000'));
const SEARCHES = Number(arg('searches', '2000'));
const SEARCH_CONCURRENCY = Number(arg('search-concurrency', '16'));
const KEEP = process.argv.includes('--keep');
/** Reports per SubmitReports call; 0 = one SubmitReport per report. */
const BATCH = Number(arg('batch', '0'));

const REQUESTERS = [
  { odsCode: 'A81001', region: 'north-east' },
  { odsCode: 'E81001', region: 'london' },
  { odsCode: 'B82001', region: 'yorkshire' },
];
const OBS_CODES = ['718-7', '6690-2', '777-3', '789-8', '787-2'];

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return (
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) /
    100
  );
}
function stats(ms: number[]): {
  n: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
} {
  const s = [...ms].sort((a, b) => a - b);
  return {
    n: s.length,
    p50_ms: pct(s, 50),
    p95_ms: pct(s, 95),
    p99_ms: pct(s, 99),
    max_ms: pct(s, 100),
  };
}

async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function nhsPool(n: number): string[] {
  const out: string[] = [];
  for (let i = 999100000; out.length < n; i++) {
    const v = completeNhsNumber(String(i));
    if (v) out.push(v);
  }
  return out;
}

function randomReport(i: number, patients: string[]): Record<string, unknown> {
  const requester = REQUESTERS[i % REQUESTERS.length]!;
  const abnormal = Math.random() < 0.3;
  const critical = Math.random() < 0.01;
  return fbc(`BENCH-${process.pid}-${i}`, patients[i % patients.length]!, {
    requester: requester.odsCode,
    region: requester.region,
    issued: new Date(Date.now() - Math.floor(Math.random() * 30 * 86_400_000)),
    haemoglobin: critical ? 55 : abnormal ? 112 : 120 + Math.round(Math.random() * 40),
    interpretation: critical
      ? I.INTERPRETATION_CRITICAL_LOW
      : abnormal
        ? I.INTERPRETATION_LOW
        : I.INTERPRETATION_NORMAL,
  });
}

async function main(): Promise<void> {
  const env = loadInfraEnv();
  const ts = await createTestSchema({
    app: 'results',
    migrationsDir: join(__dirname, '../../../apps/results/prisma/migrations'),
    prefix: 'results_bench',
  });
  const identity = new IdentityTestServer();
  await identity.start();
  const patients = nhsPool(PATIENTS);
  identity.add(...patients.map((nhsNumber) => ({ nhsNumber })));
  const prisma = createPrismaClient(PrismaClient, {
    url: ts.url,
    schema: ts.schema,
    poolSize: 32,
    applicationName: 'results-bench',
  });
  const service = new ReportsService(
    new ReportsRepository(prisma),
    new CachingPatientDirectory(
      new IdentityPatientDirectory({ address: identity.address, errors: patientDirectoryErrors }),
      60_000,
    ),
    new OutboxResultEventSink(createOutbox({ source: '/trellis/results' })),
    { now: () => new Date() },
  );
  const report: Record<string, unknown> = { mode: MODE, schema: ts.schema };
  const lab = { systemId: 'bench-lims', odsCode: 'RTH', region: 'south-east' };

  // ---- (1) ingest ----
  let submit: (r: Record<string, unknown>) => Promise<void>;
  let submitMany: (rs: Record<string, unknown>[]) => Promise<void>;
  let shutdown = async () => undefined as void;
  if (MODE === 'grpc') {
    const authority = await createTestAuthority();
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const handle = await bootstrapService({
      name: 'results',
      module: createResultsModule({
        auth: {
          keySet: authority.keySet,
          issuer: authority.issuer,
          audience: authority.audience,
          statusFeed: new StaticSystemStatusFeed(),
        },
      }),
      config: resultsConfigSchema,
      env: {
        ...process.env,
        ...env,
        SERVICE_NAME: 'results',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        DATABASE_SCHEMA: ts.schema,
        DATABASE_POOL_SIZE: '32',
        IDENTITY_GRPC_ADDR: identity.address,
        OUTBOX_RELAY_ENABLED: 'false',
        LOG_LEVEL: 'error',
      },
      handleSignals: false,
      grpc: { packages: ['trellis.results.v1'], protoFiles: ['trellis/results/v1/results.proto'] },
    });
    const token = await authority.issue({
      scopes: ['system/DiagnosticReport.cruds'],
      systemId: lab.systemId,
      odsCode: lab.odsCode,
      region: lab.region,
      lifetimeSeconds: 300,
    });
    const clients = Array.from({ length: 4 }, () => new ResultsGrpcClient(`127.0.0.1:${grpcPort}`));
    let k = 0;
    submit = async (r) => {
      const client = clients[k++ % clients.length]!;
      await client.reports.submitReport({ report: r }, client.as(token));
    };
    submitMany = async (rs) => {
      const client = clients[k++ % clients.length]!;
      const res = await client.reports.submitReports({ reports: rs }, client.as(token));
      const bad = res.results.filter((x) => x.error);
      if (bad.length > 0) throw new Error(`batch item failed: ${JSON.stringify(bad[0])}`);
    };
    shutdown = async () => {
      clients.forEach((c) => c.close());
      await handle.shutdown('bench done');
    };
  } else {
    submit = async (r) => {
      await service.submit(lab, submissionFromProto(r as never));
    };
    submitMany = async (rs) => {
      const res = await service.submitMany(
        lab,
        rs.map((r) => submissionFromProto(r as never)),
      );
      const bad = res.filter((x) => x.error);
      if (bad.length > 0) throw new Error(`batch item failed: ${JSON.stringify(bad[0])}`);
    };
  }
  // warm-up (JIT, pools, identity cache) — not measured
  const warm = Array.from({ length: Math.min(500, REPORTS) }, (_, i) =>
    randomReport(REPORTS + i, patients),
  );
  await pool(warm, CONCURRENCY, submit);
  const inputs = Array.from({ length: REPORTS }, (_, i) => randomReport(i, patients));
  const lat: number[] = [];
  const t0 = performance.now();
  if (BATCH > 0) {
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < inputs.length; i += BATCH) batches.push(inputs.slice(i, i + BATCH));
    await pool(batches, CONCURRENCY, async (b) => {
      const s = performance.now();
      await submitMany(b);
      lat.push(performance.now() - s);
    });
  } else
    await pool(inputs, CONCURRENCY, async (r) => {
      const s = performance.now();
      await submit(r);
      lat.push(performance.now() - s);
    });
  const seconds = (performance.now() - t0) / 1000;
  report['ingest'] = {
    reports: REPORTS,
    observations_per_report: 5,
    concurrency: CONCURRENCY,
    batch: BATCH,
    latency_is_per: BATCH > 0 ? 'batch' : 'report',
    seconds: Math.round(seconds * 100) / 100,
    reports_per_s: Math.round(REPORTS / seconds),
    latency: stats(lat),
  };
  // replay (idempotent resubmission of existing reports)
  const replays = inputs.slice(0, Math.min(5000, REPORTS));
  const t1 = performance.now();
  if (BATCH > 0) {
    const rb: Record<string, unknown>[][] = [];
    for (let i = 0; i < replays.length; i += BATCH) rb.push(replays.slice(i, i + BATCH));
    await pool(rb, CONCURRENCY, submitMany);
  } else await pool(replays, CONCURRENCY, submit);
  report['replay'] = {
    reports: replays.length,
    reports_per_s: Math.round(replays.length / ((performance.now() - t1) / 1000)),
  };
  await shutdown();
  process.stderr.write(`${JSON.stringify(report)}\n`);

  // ---- (2) search at scale ----
  const sql = new Client({
    connectionString: ts.url,
    options: `-c search_path=${ts.schema},public`,
  });
  await sql.connect();
  const have = Number(
    (await sql.query('SELECT count(*)::bigint AS n FROM observations')).rows[0].n,
  );
  const toAdd = Math.max(0, Math.ceil((SEARCH_OBS - have) / 5));
  const tl = performance.now();
  const CHUNK = 50_000;
  for (let start = 0; start < toAdd; start += CHUNK) {
    const n = Math.min(CHUNK, toAdd - start);
    await sql.query('BEGIN');
    await sql.query(
      `CREATE TEMP TABLE bulk ON COMMIT DROP AS
         SELECT md5('bulk-' || $1::text || '-' || g)::uuid AS id, g,
                ($2::text[])[1 + (g % array_length($2::text[], 1))] AS nhs,
                ($3::text[])[1 + (g % 3)] AS requester, ($4::text[])[1 + (g % 3)] AS region,
                now() - make_interval(secs => ((g::bigint * 7919) % (365 * 86400))::double precision) AS issued,
                (CASE WHEN g % 97 = 0 THEN 2 WHEN g % 4 = 0 THEN 1 ELSE 0 END) AS sev
           FROM generate_series($5::int, $6::int) g`,
      [
        process.pid,
        patients,
        REQUESTERS.map((r) => r.odsCode),
        REQUESTERS.map((r) => r.region),
        start,
        start + n - 1,
      ],
    );
    await sql.query(
      `INSERT INTO reports (id, lab_ods_code, lab_report_id, lab_region, nhs_number, category, code_system, code, code_display,
                            status, version, requester_ods_code, requester_region, requester_practitioner_id, issued_at, conclusion,
                            content_hash, most_severe, severity_rank, observation_count, abnormal_count, received_at)
       SELECT id, 'RTH', 'BULK-' || $1::text || '-' || g, 'south-east', nhs, 'pathology', $2, '58410-2', 'CBC panel',
              'final', 1, requester, region, 'G8123456', issued, '', md5(id::text),
              (CASE sev WHEN 2 THEN 'critical-low' WHEN 1 THEN 'low' ELSE 'normal' END), sev, 5, (sev > 0)::int, issued
         FROM bulk`,
      [process.pid, LOINC_SYSTEM],
    );
    await sql.query(
      `INSERT INTO report_versions (report_id, version, status, content_hash, content, submitted_by, received_at)
       SELECT id, 1, 'final', md5(id::text), '{}'::jsonb, 'bulk', issued FROM bulk`,
    );
    await sql.query(
      `INSERT INTO observations (report_id, version, seq, code, value_kind, value_number, value_unit, interpretation)
       SELECT b.id, 1, s, ($1::text[])[s + 1], 'quantity', 100 + (b.g % 50), 'g/L', 'normal'
         FROM bulk b, generate_series(0, 4) s`,
      [OBS_CODES],
    );
    await sql.query('COMMIT');
    process.stderr.write(`loaded ${start + n}/${toAdd} reports\n`);
  }
  await sql.query('ANALYZE reports; ANALYZE observations; ANALYZE report_versions');
  const totals = (
    await sql.query(
      'SELECT (SELECT count(*) FROM reports)::bigint AS r, (SELECT count(*) FROM observations)::bigint AS o',
    )
  ).rows[0];
  report['search_data'] = {
    reports: Number(totals.r),
    observations: Number(totals.o),
    load_seconds: Math.round((performance.now() - tl) / 1000),
  };

  const shapes: Record<string, () => Promise<number>> = {
    patient: async () =>
      (await service.search(gpActor(), { nhsNumber: pick(patients) })).reports.length,
    patient_code: async () =>
      (await service.search(gpActor(), { nhsNumber: pick(patients), code: pick(OBS_CODES) }))
        .reports.length,
    organisation_30_days: async () => {
      const to = new Date(Date.now() - Math.floor(Math.random() * 300) * 86_400_000);
      return (
        await service.search(gpActor(), {
          issuedFrom: new Date(to.getTime() - 30 * 86_400_000),
          issuedTo: to,
        })
      ).reports.length;
    },
    safety_net: async () => (await service.unacknowledged(gpActor(), {})).items.length,
  };
  const searchStats: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(shapes)) {
    const ms: number[] = [];
    let rows = 0;
    await pool(
      Array.from({ length: SEARCHES }, (_, i) => i),
      SEARCH_CONCURRENCY,
      async () => {
        const s = performance.now();
        const got = await fn();
        rows += got;
        ms.push(performance.now() - s);
      },
    );
    searchStats[name] = { ...stats(ms), avg_rows: Math.round((rows / SEARCHES) * 10) / 10 };
  }
  report['search'] = { page_size: 50, concurrency: SEARCH_CONCURRENCY, ...searchStats };
  await sql.end();
  await prisma.$disconnect();
  await identity.stop();
  if (!KEEP) await ts.drop();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exit(0);
}

function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)]!;
}
function gpActor() {
  const r = pick(REQUESTERS);
  return { systemId: `gp-${r.odsCode}`, odsCode: r.odsCode, region: r.region };
}

main().catch((e: unknown) => {
  process.stderr.write(
    `results bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
