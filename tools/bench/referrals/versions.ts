/**
 * Cost of the referral version snapshots (trigger `referrals_version_snapshot`): the same work —
 * send + one update per referral through ReferralsService (real PostgreSQL, outbox, timeline) —
 * with the trigger enabled and disabled, in alternating rounds so machine load hits both alike.
 *
 *   node -r @swc-node/register tools/bench/referrals/versions.ts [--per-round 300] [--rounds 4] [--concurrency 8]
 *
 * Prints one JSON report (per mode: referrals/s, p50/p99 ms of send and of update). The schema is
 * dropped at the end.
 */
import { applyMigrations, createPrismaClient } from '@trellis/database';
import { createOutbox } from '@trellis/events';
import type { PatientDirectory } from '@trellis/identity-client';
import { completeNhsNumber } from '@trellis/nhs-number';
import { loadInfraEnv } from '@trellis/testing';
import { join } from 'node:path';
import { Client } from 'pg';

import {
  type Actor,
  OutboxReferralEventSink,
  PrismaClient,
  ReferralsRepository,
  ReferralsService,
} from '@trellis/referrals/src/public';

const ROOT = join(__dirname, '../../..');

function arg(name: string, fallback: string): number {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback);
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const v = sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return Number(v.toFixed(2));
}

function nhsNumberFor(i: number): string {
  for (let n = i * 3; ; n++) {
    const v = completeNhsNumber(`999${String(200000 + n).padStart(6, '0')}`);
    if (v) return v;
  }
}

async function main(): Promise<void> {
  const url = process.env['DATABASE_URL'] ?? loadInfraEnv().DATABASE_URL;
  const perRound = arg('per-round', '300');
  const rounds = arg('rounds', '4');
  const concurrency = arg('concurrency', '8');
  const schema = `referrals_versions_bench_${process.pid}`;
  const admin = new Client({ connectionString: url, options: `-c search_path=${schema}` });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  try {
    await applyMigrations({
      url,
      schema,
      migrationsDir: join(ROOT, 'apps/referrals/prisma/migrations'),
    });
    const prisma = createPrismaClient(PrismaClient, {
      url,
      schema,
      poolSize: concurrency + 2,
      applicationName: 'referrals-versions-bench',
    });
    const patients: PatientDirectory = {
      standing: (nhsNumber) => Promise.resolve({ kind: 'active', nhsNumber }),
    };
    const service = new ReferralsService(
      new ReferralsRepository(prisma),
      patients,
      new OutboxReferralEventSink(createOutbox({ source: '/trellis/referrals' })),
      { now: () => new Date() },
    );
    const gp: Actor = { systemId: 'bench-gp', odsCode: 'A81001', region: 'north-east' };
    const stats = {
      on: { ms: 0, n: 0, send: [] as number[], update: [] as number[] },
      off: { ms: 0, n: 0, send: [] as number[], update: [] as number[] },
    };
    let seq = 0;
    for (let round = 0; round < rounds * 2; round++) {
      const mode = round % 2 === 0 ? 'on' : 'off';
      await admin.query(
        `ALTER TABLE referrals ${mode === 'on' ? 'ENABLE' : 'DISABLE'} TRIGGER referrals_version_snapshot`,
      );
      let left = perRound;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (left-- > 0) {
            const i = seq++;
            const s = performance.now();
            const { referral } = await service.send(gp, {
              idempotencyKey: `vb-${process.pid}-${i}`,
              nhsNumber: nhsNumberFor(i),
              practitionerId: 'G8123456',
              target: { odsCode: 'RR8', region: 'yorkshire', specialtyCode: 'cardiology' },
              priority: 'routine',
              reason: { code: '29857009', display: 'Chest pain' },
              clinicalSummary: 'Benchmark referral: exertional chest pain for three weeks.',
              attachments: [],
            });
            const u = performance.now();
            await service.update(gp, referral.id, {
              expectedVersion: referral.version,
              priority: 'urgent',
              reason: { code: '29857009', display: 'Chest pain' },
              clinicalSummary: 'Benchmark referral: now also at rest.',
            });
            stats[mode].send.push(u - s);
            stats[mode].update.push(performance.now() - u);
          }
        }),
      );
      stats[mode].ms += performance.now() - t0;
      stats[mode].n += perRound;
    }
    await admin.query('ALTER TABLE referrals ENABLE TRIGGER referrals_version_snapshot');
    const versions = await admin.query('SELECT count(*)::int AS n FROM referral_versions');
    const summary = (m: keyof typeof stats) => {
      const s = stats[m];
      s.send.sort((a, b) => a - b);
      s.update.sort((a, b) => a - b);
      return {
        referrals: s.n,
        referralsPerSecond: Number(((s.n * 1000) / s.ms).toFixed(1)),
        sendP50: pct(s.send, 50),
        sendP99: pct(s.send, 99),
        updateP50: pct(s.update, 50),
        updateP99: pct(s.update, 99),
      };
    };
    console.log(
      JSON.stringify(
        {
          concurrency,
          rounds,
          perRound,
          trigger: summary('on'),
          noTrigger: summary('off'),
          storedVersions: versions.rows[0].n,
        },
        null,
        2,
      ),
    );
    await prisma.$disconnect();
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
