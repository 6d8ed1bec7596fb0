/**
 * Demo / benchmark seed: synthetic patients (faker en_GB, NHS numbers from the configured 999
 * range) written in bulk.
 *
 *   node -r @swc-node/register apps/identity/src/seed/seed.ts [--count 3000] [--batch 2000] [--seed 42] [--schema identity] [--force]
 *
 * Without --force nothing is written when the schema already holds --count patients (npm start runs it each time).
 *
 * DATABASE_URL from the environment or .trellis/infra.env; schema defaults to DATABASE_SCHEMA or identity.
 * Applies pending migrations first.
 */
import { applyMigrations, createPrismaClient } from '@trellis/database';
import { NhsNumberAllocator } from '@trellis/nhs-number';
import { loadInfraEnv } from '@trellis/testing';
import { join } from 'node:path';
import { PrismaClient } from '../generated/prisma/client';
import { insertBatch } from './bulk-insert';
import { writeDemoPatients } from './demo-patients';
import { seedFaker, syntheticPerson } from './synthetic';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

export async function seed(options: {
  url: string;
  schema: string;
  count: number;
  batch: number;
  seed: number;
  rangeName: string;
  first: number;
  last: number;
  skipIfSeeded?: boolean;
}): Promise<{ inserted: number; ms: number }> {
  await applyMigrations({
    url: options.url,
    schema: options.schema,
    migrationsDir: join(__dirname, '../../prisma/migrations'),
  });
  const prisma = createPrismaClient(PrismaClient, {
    url: options.url,
    schema: options.schema,
    poolSize: 4,
    applicationName: 'identity-seed',
  });
  try {
    await new NhsNumberAllocator(prisma, {
      name: options.rangeName,
      first: options.first,
      last: options.last,
    }).ensureRange();
    const existing = await prisma.patient.count();
    if (options.skipIfSeeded && existing >= options.count) {
      process.stdout.write(
        `${JSON.stringify({ skipped: true, existing, wanted: options.count })}\n`,
      );
      return { inserted: 0, ms: 0 };
    }
    seedFaker(options.seed + existing);
    const start = Date.now();
    let inserted = 0;
    while (inserted < options.count) {
      const n = Math.min(options.batch, options.count - inserted);
      const people = Array.from({ length: n }, () => syntheticPerson());
      await insertBatch(prisma, options.rangeName, people);
      inserted += n;
      if (inserted % (options.batch * 10) === 0 || inserted === options.count) {
        process.stdout.write(
          `${JSON.stringify({ inserted, elapsed_s: Math.round((Date.now() - start) / 1000) })}\n`,
        );
      }
    }
    await prisma.$executeRaw`ANALYZE patient`;
    await prisma.$executeRaw`ANALYZE patient_name`;
    await prisma.$executeRaw`ANALYZE patient_address`;
    return { inserted, ms: Date.now() - start };
  } finally {
    await prisma.$disconnect();
  }
}

if (require.main === module) {
  const env = loadInfraEnv();
  seed({
    url: env.DATABASE_URL,
    schema: arg('schema', process.env.DATABASE_SCHEMA ?? 'identity'),
    count: Number(arg('count', '3000')),
    batch: Number(arg('batch', '2000')),
    seed: Number(arg('seed', '42')),
    rangeName: arg('range', process.env.NHS_NUMBER_RANGE_NAME ?? 'test_999'),
    first: Number(process.env.NHS_NUMBER_RANGE_FIRST ?? 999000000),
    last: Number(process.env.NHS_NUMBER_RANGE_LAST ?? 999999999),
    // `npm start` runs this every time: top up to --count, never duplicate the demo data
    skipIfSeeded: !process.argv.includes('--force'),
  })
    .then(async (r) => {
      // the demo citizens of the local OpenID provider (apps/citizen-idp) are seeded patients
      await writeDemoPatients({
        url: env.DATABASE_URL,
        schema: arg('schema', process.env.DATABASE_SCHEMA ?? 'identity'),
        file: join(process.env.TRELLIS_HOME ?? '.trellis', 'demo', 'patients.json'),
      });
      return r;
    })
    .then(
      (r) => {
        process.stdout.write(
          `${JSON.stringify({ done: true, inserted: r.inserted, seconds: r.ms / 1000 })}\n`,
        );
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`seed failed: ${String(err instanceof Error ? err.stack : err)}\n`);
        process.exit(1);
      },
    );
}
