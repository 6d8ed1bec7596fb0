/**
 * Referrals benchmark (service layer in-process, real PostgreSQL; no gRPC/auth in the loop, the
 * identity lookup answered by an in-process stub so identity's latency is not measured here).
 *
 *   node -r @swc-node/register tools/bench/referrals/bench.ts [--rows 1000000] [--create 2000]
 *        [--concurrency 16] [--worklist-queries 500] [--schema referrals_bench] [--keep]
 *
 * Steps: (1) fresh schema with the referrals migrations; (2) creation throughput: --create
 * referrals through ReferralsService.send (validation, idempotency check, referral + timeline row +
 * ReferralSent outbox row in one transaction) at --concurrency callers; (3) bulk-load the table to
 * --rows referrals over 200 providers / 8 regions / 2,000 GP practices, statuses and priorities
 * mixed, sent over the last two years (SQL generate_series), then ANALYZE; (4) worklist query
 * latency: provider incoming worklists (status sent|accepted, random priority filter, 50 per page,
 * first page then the next page by token), p50/p95/p99; (5) region waiting-list aggregation
 * (bands + breaches) for each of the 8 regions, 3 rounds: min/median/max ms, after the load and
 * again after VACUUM ANALYZE.
 * Prints one JSON report. The schema is dropped at the end unless --keep.
 */
import { applyMigrations, createPrismaClient } from '@trellis/database';
import { createOutbox } from '@trellis/events';
import type { PatientDirectory } from '@trellis/identity-client';
import { completeNhsNumber } from '@trellis/nhs-number';
import { ORGANISATIONS, REGIONS } from '@trellis/service-kit';
import { loadInfraEnv } from '@trellis/testing';
import { join } from 'node:path';
import { Client } from 'pg';

import {
  type Actor,
  type Clock,
  OutboxReferralEventSink,
  type Priority,
  PrismaClient,
  ReferralsRepository,
  ReferralsService,
} from '@trellis/referrals/src/public';

const ROOT = join(__dirname, '../../..');
const PROVIDERS = 200;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Number(
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!.toFixed(2),
  );
}

const KNOWN_TARGETS = ORGANISATIONS.filter((o) => o.odsCode !== 'A81001');

function provider(i: number): { odsCode: string; region: string } {
  return { odsCode: `RB${String(i).padStart(3, '0')}`, region: REGIONS[i % REGIONS.length]! };
}

/** A valid synthetic NHS number (999 range) for index i. */
function nhsNumberFor(i: number): string {
  for (let n = i * 3; ; n++) {
    const v = completeNhsNumber(`999${String(100000 + n).padStart(6, '0')}`);
    if (v) return v;
  }
}

async function main(): Promise<void> {
  const env = loadInfraEnv();
  const url = process.env['DATABASE_URL'] ?? env.DATABASE_URL;
  const schema = arg('schema', 'referrals_bench');
  const rows = Number(arg('rows', '1000000'));
  const createN = Number(arg('create', '2000'));
  const concurrency = Number(arg('concurrency', '16'));
  const worklistQueries = Number(arg('worklist-queries', '500'));
  const keep = process.argv.includes('--keep');

  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await applyMigrations({
    url,
    schema,
    migrationsDir: join(ROOT, 'apps/referrals/prisma/migrations'),
  });
  const prisma = createPrismaClient(PrismaClient, {
    url,
    schema,
    poolSize: concurrency + 4,
    applicationName: 'referrals-bench',
  });
  const now = new Date();
  const clock: Clock = { now: () => new Date() };
  const patients: PatientDirectory = {
    standing: (nhsNumber) => Promise.resolve({ kind: 'active', nhsNumber }),
  };
  const service = new ReferralsService(
    new ReferralsRepository(prisma),
    patients,
    new OutboxReferralEventSink(createOutbox({ source: '/trellis/referrals' })),
    clock,
  );
  const report: Record<string, unknown> = { schema, rows, node: process.version };

  // (2) creation throughput through the service
  const gp: Actor = { systemId: 'bench-gp', odsCode: 'A81001', region: 'north-east' };
  let next = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= createN) return;
        const nhsNumber = nhsNumberFor(i);
        // service-made referrals go to organisations of the ODS reference data (the rows loaded
        // in bulk by SQL below use synthetic RBnnn providers)
        const p = KNOWN_TARGETS[i % KNOWN_TARGETS.length]!;
        const s = performance.now();
        await service.send(gp, {
          idempotencyKey: `bench-${i}-${now.getTime()}`,
          nhsNumber,
          practitionerId: 'G8123456',
          target: { odsCode: p.odsCode, region: p.region, specialtyCode: 'cardiology' },
          priority: (['routine', 'urgent', 'two-week-wait'] as Priority[])[i % 3],
          reason: { code: '29857009', display: 'Chest pain' },
          clinicalSummary: 'Benchmark referral: exertional chest pain for three weeks, ECG normal.',
          attachments: [],
        });
        latencies.push(performance.now() - s);
      }
    }),
  );
  const createMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  report['create'] = {
    referrals: createN,
    concurrency,
    seconds: Number((createMs / 1000).toFixed(2)),
    perSecond: Math.round(createN / (createMs / 1000)),
    p50Ms: pct(latencies, 50),
    p99Ms: pct(latencies, 99),
  };
  process.stderr.write(`create: ${JSON.stringify(report['create'])}\n`);

  // (3) bulk load to `rows`
  const pg = new Client({ connectionString: url, options: `-c search_path=${schema},public` });
  await pg.connect();
  const tLoad = performance.now();
  const batch = 100_000;
  for (let start = createN; start < rows; start += batch) {
    const end = Math.min(rows, start + batch) - 1;
    await pg.query(
      `INSERT INTO referrals (id, nhs_number, referrer_ods_code, referrer_region, referrer_practitioner_id,
         target_ods_code, target_region, specialty_code, priority, reason_code, reason_display, clinical_summary,
         status, sent_at, rtt_started_at, rtt_stopped_at, rtt_stop_reason, first_appointment_at,
         idempotency_key, request_hash, version)
       SELECT gen_random_uuid(), '999' || lpad((g % 9999999)::text, 7, '0'),
              'B' || lpad((g % 2000)::text, 5, '0'), ($3::text[])[1 + g % 8], 'G' || (g % 5000),
              t.ods, t.region, 'cardiology',
              (CASE WHEN g % 20 = 0 THEN 'two-week-wait' WHEN g % 5 = 1 THEN 'urgent' ELSE 'routine' END)::referral_priority,
              '29857009', 'Chest pain', 'Synthetic benchmark referral',
              st.status::referral_status, s.sent, s.sent,
              CASE WHEN st.status IN ('completed', 'rejected', 'cancelled', 'advice-given') THEN s.sent + interval '30 days' END,
              CASE WHEN st.status = 'completed' THEN 'first-definitive-treatment'
                   WHEN st.status IN ('rejected', 'cancelled', 'advice-given') THEN 'referral-closed' END,
              CASE WHEN st.status IN ('booked', 'completed') THEN s.sent + interval '20 days' END,
              'bulk-' || g, 'bulk', 1
         FROM generate_series($1::int, $2::int) AS g,
              LATERAL (SELECT 'RB' || lpad(((g * 7) % ${PROVIDERS})::text, 3, '0') AS ods,
                              ($3::text[])[1 + ((g * 7) % ${PROVIDERS}) % 8] AS region) t,
              LATERAL (SELECT (ARRAY['sent','sent','sent','accepted','accepted','booked','booked','completed','rejected','cancelled'])[1 + (g * 13) % 10] AS status) st,
              LATERAL (SELECT now() - make_interval(secs => ((g::bigint * 7919) % (730 * 86400))::double precision) AS sent) s`,
      [start, end, `{${REGIONS.join(',')}}`],
    );
    process.stderr.write(`loaded ${end + 1}/${rows}\n`);
  }
  await pg.query('ANALYZE referrals');
  const loadMs = performance.now() - tLoad;
  const count = (await pg.query('SELECT count(*)::int AS n FROM referrals')).rows[0].n as number;
  const size = (await pg.query("SELECT pg_size_pretty(pg_total_relation_size('referrals')) AS s"))
    .rows[0].s as string;
  report['load'] = {
    referrals: count,
    seconds: Number((loadMs / 1000).toFixed(1)),
    tableWithIndexes: size,
  };

  // (4) worklist p99
  const first: number[] = [];
  const second: number[] = [];
  const priorities: Priority[][] = [[], ['urgent'], ['two-week-wait'], ['routine', 'urgent']];
  for (let q = 0; q < worklistQueries; q++) {
    const p = provider((q * 37) % PROVIDERS);
    const actor: Actor = { systemId: 'bench-trust', ...p };
    const query = {
      statuses: ['sent', 'accepted'] as ('sent' | 'accepted')[],
      priorities: priorities[q % priorities.length]!,
      pageSize: 50,
    };
    let s = performance.now();
    const page = await service.listIncoming(actor, query);
    first.push(performance.now() - s);
    if (page.nextPageToken) {
      s = performance.now();
      await service.listIncoming(actor, { ...query, pageToken: page.nextPageToken });
      second.push(performance.now() - s);
    }
  }
  first.sort((a, b) => a - b);
  second.sort((a, b) => a - b);
  const all = [...first, ...second].sort((a, b) => a - b);
  report['worklist'] = {
    queries: all.length,
    pageSize: 50,
    firstPage: { p50Ms: pct(first, 50), p95Ms: pct(first, 95), p99Ms: pct(first, 99) },
    nextPage: { p50Ms: pct(second, 50), p95Ms: pct(second, 95), p99Ms: pct(second, 99) },
    all: { p50Ms: pct(all, 50), p99Ms: pct(all, 99), maxMs: pct(all, 100) },
  };
  process.stderr.write(`worklist: ${JSON.stringify(report['worklist'])}\n`);

  // (5) region waiting-list aggregation: right after the load, then after VACUUM (what autovacuum
  // gives a steady-state table: the visibility map allows index-only scans of the partial index)
  const regionRound = async (): Promise<Record<string, unknown>> => {
    const times: number[] = [];
    const open: Record<string, number> = {};
    for (let round = 0; round < 3; round++) {
      for (const region of REGIONS) {
        const s = performance.now();
        // read as an organisation of that region (a caller reads its own region's list)
        const own = ORGANISATIONS.find((o) => o.region === region)!;
        const wl = await service.regionWaitingList(
          { systemId: 'bench', odsCode: own.odsCode, region },
          region,
        );
        times.push(performance.now() - s);
        open[region] = wl.total.total;
      }
    }
    times.sort((a, b) => a - b);
    const plan = await pg.query(
      `EXPLAIN (ANALYZE, FORMAT TEXT) SELECT count(*) FROM referrals WHERE rtt_stopped_at IS NULL AND target_region = 'london'`,
    );
    return {
      regions: REGIONS.length,
      openPathwaysPerRegion: open,
      minMs: pct(times, 0.0001),
      medianMs: pct(times, 50),
      maxMs: pct(times, 100),
      plan: plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).slice(0, 3),
    };
  };
  report['regionWaitingList'] = await regionRound();
  await pg.query('VACUUM ANALYZE referrals');
  report['regionWaitingListAfterVacuum'] = await regionRound();

  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  await prisma.$disconnect();
  await pg.end();
  if (!keep) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}

main().catch((e: unknown) => {
  process.stderr.write(
    `referrals bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
