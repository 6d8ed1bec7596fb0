// What a platform's integration tests share (apps/<platform>/test/support/harness.ts adapts it to
// its own Prisma client): a fresh migrated schema with a Prisma client and a plain pg client on
// it, a clock tests can move, synthetic NHS numbers and callers, and date helpers.
import { faker } from '@faker-js/faker/locale/en_GB';
import { createPrismaClient, type PrismaClientConstructor } from '@trellis/database';
import { completeNhsNumber } from '@trellis/nhs-number';
import { Client } from 'pg';

import { createTestSchema } from './test-schema';

export interface TestDatabase<TPrisma> {
  schema: string;
  prisma: TPrisma;
  /** A plain pg client on the same schema, for assertions straight against the tables. */
  sql: Client;
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Connection pool size of the Prisma client (default 10). */
  poolSize?: number;
  /** Override the migrations directory (default apps/<app>/prisma/migrations). */
  migrationsDir?: string;
}

/**
 * A fresh PostgreSQL schema with `app`'s migrations applied, a Prisma client (the app's own
 * generated class) and a pg client on it; drop() disconnects both and removes the schema.
 */
export async function createTestDatabase<TPrisma extends { $disconnect(): Promise<void> }>(
  app: string,
  PrismaClient: PrismaClientConstructor<TPrisma>,
  options: CreateTestDatabaseOptions = {},
): Promise<TestDatabase<TPrisma>> {
  const { url, schema, drop } = await createTestSchema({
    app,
    ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
  });
  const prisma = createPrismaClient(PrismaClient, {
    url,
    schema,
    poolSize: options.poolSize ?? 10,
    applicationName: `${app}-int-test`,
  });
  const sql = new Client({ connectionString: url, options: `-c search_path=${schema},public` });
  try {
    await sql.connect();
  } catch (e) {
    await prisma.$disconnect();
    await drop();
    throw e;
  }
  return {
    schema,
    prisma,
    sql,
    async drop() {
      await prisma.$disconnect();
      await sql.end();
      await drop();
    },
  };
}

/**
 * `createTestDatabase` bound to one app and its Prisma client, as the app's test harness exports
 * it: `(poolSize = 10) => a fresh schema with the app's migrations`.
 */
export function testDatabaseFactory<TPrisma extends { $disconnect(): Promise<void> }>(
  app: string,
  PrismaClient: PrismaClientConstructor<TPrisma>,
): (poolSize?: number) => Promise<TestDatabase<TPrisma>> {
  return (poolSize = 10) => createTestDatabase(app, PrismaClient, { poolSize });
}

/** A clock tests can move (structurally a platform's `Clock` port). */
export class TestClock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  set(d: Date): void {
    this.current = new Date(d);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** A synthetic NHS number in the 999 test range (faker: follows `faker.seed`). */
export function testNhsNumber(): string {
  for (;;) {
    const n = completeNhsNumber(`999${faker.string.numeric(6)}`);
    if (n) return n;
  }
}

/** A calling system (structurally a platform's `Actor`): `sys-<ods>` in `region`. */
export function testActor(
  odsCode: string,
  region = 'london',
): { systemId: string; odsCode: string; region: string } {
  return { systemId: `sys-${odsCode.toLowerCase()}`, odsCode, region };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Start of the day `days` from `from` (default now), plus hh:mm UTC. */
export function dayAt(days: number, hh: number, mm = 0, from = new Date()): Date {
  const d = new Date(from);
  d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() + days * DAY + hh * HOUR + mm * 60_000);
}
