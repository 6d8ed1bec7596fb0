import { faker } from '@faker-js/faker/locale/en_GB';
import { createPrismaClient } from '@trellis/database';
import { createTestSchema } from '@trellis/testing';
import { completeNhsNumber } from '@trellis/nhs-number';
import { join } from 'node:path';
import { Client } from 'pg';

import type { Actor, Clock } from '../../src/app/domain/ports';
import { PrismaClient } from '../../src/app/prisma';

export const MIGRATIONS_DIR = join(__dirname, '../../prisma/migrations');

export function databaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url)
    throw new Error(
      'DATABASE_URL is not set: run tools/setup (integration tests need real PostgreSQL)',
    );
  return url;
}

export interface TestDatabase {
  schema: string;
  prisma: PrismaClient;
  /** A plain pg client on the same schema, for assertions straight against the tables. */
  sql: Client;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL schema with the results migrations applied; drop() removes it. */
export async function createTestDatabase(poolSize = 10): Promise<TestDatabase> {
  const { url, schema, drop } = await createTestSchema({
    app: 'results',
    migrationsDir: MIGRATIONS_DIR,
  });
  const prisma = createPrismaClient(PrismaClient, {
    url,
    schema,
    poolSize,
    applicationName: 'results-int-test',
  });
  const sql = new Client({ connectionString: url, options: `-c search_path=${schema},public` });
  await sql.connect();
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

/** A clock tests can move. */
export class TestClock implements Clock {
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

/** A synthetic NHS number in the 999 test range. */
export function testNhsNumber(): string {
  for (;;) {
    const n = completeNhsNumber(`999${faker.string.numeric(6)}`);
    if (n) return n;
  }
}

export function actor(odsCode: string, region = 'london'): Actor {
  return { systemId: `sys-${odsCode.toLowerCase()}`, odsCode, region };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Start of the day `days` from now, at hh:mm UTC. */
export function at(days: number, hh: number, mm = 0, from = new Date()): Date {
  const d = new Date(from);
  d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() + days * DAY + hh * HOUR + mm * 60_000);
}
