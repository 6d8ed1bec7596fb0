/**
 * Audit store benchmark (not a timed test): ingest rate and search latency, on this machine,
 * against the real PostgreSQL and Kafka of .trellis/infra.env.
 *
 *   node -r @swc-node/register tools/bench/audit/bench.ts [--events 200000] [--batch 1000]
 *        [--concurrency 3] [--stored 10000000] [--patients 1000000] [--searches 2000] [--keep]
 *
 * (1) Ingest: --events AccessRecorded events (12 partitions, random patients, times over the last
 *     two months) are published to a fresh topic first; then the audit service is started as its
 *     own process (as `npm start` runs it) on a fresh schema and consumes them. Rate = events /
 *     (time the last row was stored − time the service answered ready), i.e. consume + decode +
 *     inbox + batch INSERT, the Kafka producer not counted.
 * (2) Search: --stored rows are bulk-loaded into another fresh schema (SQL generate_series across
 *     12 monthly partitions, --patients patients), ANALYZE, then --searches searches of what
 *     `AuditEvent?patient=` runs (AuditService.search: the first page of 50, newest first, and the
 *     total) for random patients, sequentially; p50/p95/p99/max. Also the organisation + 30-day
 *     window shape. Prints one JSON report; the schemas are dropped unless --keep.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { createPrismaClient } from '@trellis/database';
import {
  createEventBus,
  createOutbox,
  dlqTopicName,
  kafkaConfigFromEnv,
  TOPICS,
} from '@trellis/events';
import { completeNhsNumber } from '@trellis/nhs-number';
import {
  createTestSchema,
  freePort,
  loadInfraEnv,
  serviceEnv,
  spawnService,
  uniqueGroupId,
  uniqueTopic,
} from '@trellis/testing';

// eslint-disable-next-line @nx/enforce-module-boundaries -- a benchmark drives the app in-process through its public entry point (type:bench)
import {
  AccessEventsRepository,
  AuditService,
  MaintenanceRepository,
  maintainPartitions,
  PrismaClient,
} from '@trellis/audit/src/public';
// eslint-disable-next-line @nx/enforce-module-boundaries -- a benchmark drives the app in-process through its public entry point (type:bench)
import { accessRecorded } from '@trellis/audit/test/support/access-events';

const GOAL_RATE = 10_000;
const GOAL_P99_MS = 50;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const keep = process.argv.includes('--keep');

function nhs(i: number): string {
  // 999 range, valid check digit (some bases have none: skip to the next)
  for (let b = i; ; b++) {
    const n = completeNhsNumber(`999${String(b % 1_000_000).padStart(6, '0')}`);
    if (n) return n;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return 0; // the process has gone
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function ingest(events: number, batch: number, concurrency: number) {
  const topic = uniqueTopic('trellis.bench.audit');
  const bus = createEventBus(kafkaConfigFromEnv(process.env, 'audit-bench'));
  const admin = bus.admin();
  await admin.connect();
  await admin.createTopics([
    { ...TOPICS.auditAccess, name: topic, partitions: 12, retentionMs: 3_600_000 },
    { ...TOPICS.auditAccess, name: dlqTopicName(topic), partitions: 1, retentionMs: 3_600_000 },
  ]);
  await admin.disconnect();
  const publisher = bus.publisher();
  await publisher.connect();
  const span = 60 * 24 * 3600 * 1000;
  const now = Date.now();
  for (let i = 0; i < events; i += 2000) {
    const chunk = [];
    for (let k = i; k < Math.min(events, i + 2000); k++)
      chunk.push(
        accessRecorded({
          topic,
          at: new Date(now - Math.floor(Math.random() * span)),
          patientNhsNumber: nhs(Math.floor(Math.random() * 100_000)),
        }).message,
      );
    await publisher.publish(chunk);
  }
  await publisher.disconnect();

  const schema = await createTestSchema('audit');
  const prisma = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
  const port = await freePort();
  const child = await spawnService({
    name: 'audit',
    env: serviceEnv({
      SERVICE_NAME: 'audit-bench',
      DATABASE_SCHEMA: schema.schema,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      AUTH_ISSUER: 'http://127.0.0.1:9/unused',
      AUTH_JWKS_URL: 'http://127.0.0.1:9/unused/jwks.json',
      AUDIT_TOPICS: topic,
      AUDIT_GROUP: uniqueGroupId('audit-bench'),
      AUDIT_INGEST_BATCH_SIZE: String(batch),
      AUDIT_INGEST_CONCURRENCY: String(concurrency),
      LOG_LEVEL: 'warn',
    }),
    ready: { grpc: `127.0.0.1:${port}` },
  });
  const ready = Date.now();
  // CPU of the service process and of its PostgreSQL backends (application_name = SERVICE_NAME)
  const nodeStart = cpuSeconds(child.pid);
  const pgFirst = new Map<number, number>();
  const pgLast = new Map<number, number>();
  const sampleBackends = async () => {
    const rows = await prisma.$queryRaw<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE application_name = 'audit-bench'`;
    for (const { pid } of rows) {
      const used = cpuSeconds(pid);
      if (!pgFirst.has(pid)) pgFirst.set(pid, used);
      if (used > 0) pgLast.set(pid, used);
    }
  };
  await sampleBackends();
  let n = 0;
  while (n < events) {
    await new Promise((r) => setTimeout(r, 50));
    await sampleBackends();
    n = (await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM access_events`)[0]!
      .n;
  }
  const nodeCpu = cpuSeconds(child.pid) - nodeStart;
  let dbCpu = 0;
  for (const [pid, last] of pgLast) dbCpu += last - (pgFirst.get(pid) ?? last);
  const [last] = await prisma.$queryRaw<{ first: Date; last: Date }[]>`
    SELECT min(stored_at) AS first, max(stored_at) AS last FROM access_events`;
  await child.stop();
  const seconds = (last!.last.getTime() - ready) / 1000;
  const firstToLast = (last!.last.getTime() - last!.first.getTime()) / 1000;
  await prisma.$disconnect();
  if (!keep) await schema.drop();
  return {
    events,
    batch,
    concurrency,
    seconds_ready_to_last: Number(seconds.toFixed(2)),
    events_per_second: Math.round(events / seconds),
    events_per_second_first_to_last_row: Math.round(events / firstToLast),
    goal: GOAL_RATE,
    ratio_to_goal: Number((events / seconds / GOAL_RATE).toFixed(2)),
    cpu_ms_per_1000_events: {
      audit_process: Math.round((nodeCpu * 1e6) / events),
      postgres_backends: Math.round((dbCpu * 1e6) / events),
    },
    // what 2 dedicated cores would sustain at that CPU cost (the machine is shared during runs)
    events_per_second_on_2_free_cores: Math.round((2 * events) / (nodeCpu + dbCpu)),
  };
}

async function search(stored: number, patients: number, searches: number) {
  // --schema <s>: search a schema a previous (interrupted) run loaded, without loading or dropping
  const existing = process.argv.includes('--schema')
    ? process.argv[process.argv.indexOf('--schema') + 1]
    : undefined;
  const schema = existing
    ? { schema: existing, url: process.env.DATABASE_URL!, drop: async () => undefined }
    : await createTestSchema('audit');
  const prisma = createPrismaClient(PrismaClient, {
    url: schema.url,
    schema: schema.schema,
    poolSize: 4,
  });
  const now = new Date();
  await maintainPartitions(
    new MaintenanceRepository(prisma),
    { retentionMonths: 11, ahead: 1 },
    now,
  );
  const loadStart = Date.now();
  if (!existing) await load();
  const loadSeconds = (Date.now() - loadStart) / 1000;
  const [{ n: actuallyStored }] = (await prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM access_events`) as [{ n: number }];
  async function load(): Promise<void> {
    // the patients: valid NHS numbers 999xxxxxx + check digit (bases whose check digit would be 10
    // have no valid number and are skipped), numbered 0..patients-1
    await prisma.$executeRaw`
    CREATE TABLE bench_patients AS
    SELECT (row_number() OVER () - 1)::int AS i, nhs FROM (
      SELECT b.base || c.chk::text AS nhs
        FROM generate_series(0, 999999) n,
             LATERAL (SELECT '999' || lpad(n::text, 6, '0') AS base) b,
             LATERAL (SELECT (11 - (
                 substr(b.base,1,1)::int*10 + substr(b.base,2,1)::int*9 + substr(b.base,3,1)::int*8 +
                 substr(b.base,4,1)::int*7 + substr(b.base,5,1)::int*6 + substr(b.base,6,1)::int*5 +
                 substr(b.base,7,1)::int*4 + substr(b.base,8,1)::int*3 + substr(b.base,9,1)::int*2)
                 % 11) % 11 AS chk) c
       WHERE c.chk <> 10
       LIMIT ${patients}) v`;
    await prisma.$executeRaw`CREATE UNIQUE INDEX ON bench_patients (i)`;
    const [{ n: patientCount }] = (await prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM bench_patients`) as [{ n: number }];
    const chunk = 1_000_000;
    for (let from = 0; from < stored; from += chunk) {
      const to = Math.min(stored, from + chunk) - 1;
      await prisma.$executeRaw`
      INSERT INTO access_events (audit_id, recorded_at, action, outcome, interaction, system_id,
        ods_code, region, patient_nhs_number, resource_type, resource_id, source_service,
        trace_id, required_scope, purpose_of_use)
      SELECT gen_random_uuid(),
             ${now}::timestamptz - (random() * interval '330 days'),
             'R', CASE WHEN g % 50 = 0 THEN '4' ELSE '0' END,
             'GET /fhir/Patient/:id',
             'sys-' || (g % 300), 'ODS' || (g % 300), 'london',
             p.nhs, 'Patient', p.nhs, 'gateway', md5(g::text), 'system/Patient.r', 'TREAT'
        FROM generate_series(${from}::bigint, ${to}::bigint) g
        JOIN bench_patients p ON p.i = (abs(hashint8(g)) % ${patientCount})::int`;
      process.stderr.write(`loaded ${to + 1}/${stored} into ${schema.schema}\n`);
    }
  }
  await prisma.$executeRaw`ANALYZE access_events`;
  const sample = await prisma.$queryRaw<{ p: string }[]>`
    SELECT nhs AS p FROM bench_patients ORDER BY random() LIMIT 5000`;
  const service = new AuditService(
    new AccessEventsRepository(prisma),
    createOutbox({ source: '/trellis/audit' }),
  );
  const timeIt = async (run: () => Promise<unknown>): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < searches; i++) {
      const t = process.hrtime.bigint();
      await run();
      out.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return out.sort((a, b) => a - b);
  };
  const stats = (ms: number[]) => ({
    p50: Number(percentile(ms, 50).toFixed(2)),
    p95: Number(percentile(ms, 95).toFixed(2)),
    p99: Number(percentile(ms, 99).toFixed(2)),
    max: Number(ms[ms.length - 1]!.toFixed(2)),
  });
  let hits = 0;
  const byPatient = await timeIt(async () => {
    const p = sample[Math.floor(Math.random() * sample.length)]!.p;
    const r = await service.search(
      { kind: 'operator' },
      {
        patientNhsNumber: p,
        pageSize: 50,
        pageToken: '',
      },
    );
    hits += r.events.length;
  });
  const byOrg = await timeIt(() =>
    service.search(
      { kind: 'organisation', odsCode: `ODS${Math.floor(Math.random() * 300)}` },
      { from: new Date(now.getTime() - 30 * 86_400_000), pageSize: 50, pageToken: '' },
    ),
  );
  const [{ size }] = (await prisma.$queryRaw<{ size: string }[]>`
    SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = 'access_events' AND p.relnamespace = current_schema()::regnamespace`) as [
    { size: string },
  ];
  await prisma.$disconnect();
  if (!keep) await schema.drop();
  return {
    stored: actuallyStored,
    patients,
    load_seconds: Number(loadSeconds.toFixed(1)),
    size_on_disk: size,
    searches,
    mean_rows_per_patient_page: Number((hits / searches).toFixed(1)),
    patient_first_page_with_total_ms: stats(byPatient),
    goal_p99_ms: GOAL_P99_MS,
    organisation_30_days_first_page_ms: stats(byOrg),
  };
}

async function main(): Promise<void> {
  loadInfraEnv();
  const report: Record<string, unknown> = {
    machine: { cpus: cpus().length, load: loadavg() },
  };
  const events = arg('events', 200_000);
  if (events > 0) report.ingest = await ingest(events, arg('batch', 1000), arg('concurrency', 3));
  const stored = arg('stored', 10_000_000);
  if (stored > 0)
    report.search = await search(stored, arg('patients', 1_000_000), arg('searches', 2000));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  },
);
