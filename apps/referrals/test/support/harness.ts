// The referrals integration tests' harness: the shared platform test helpers of @trellis/testing,
// bound to this app's migrations and Prisma client (the same names the specs have always used).
import { join } from 'node:path';

import {
  createTestDatabase as createPlatformTestDatabase,
  dayAt,
  loadInfraEnv,
  testActor,
  type TestDatabase as PlatformTestDatabase,
} from '@trellis/testing';

import type { Actor } from '../../src/app/domain/ports';
import { PrismaClient } from '../../src/app/prisma';

export { DAY, HOUR, TestClock, testNhsNumber } from '@trellis/testing';

export const MIGRATIONS_DIR = join(__dirname, '../../prisma/migrations');

export function databaseUrl(): string {
  return loadInfraEnv().DATABASE_URL;
}

export type TestDatabase = PlatformTestDatabase<PrismaClient>;

/** A fresh PostgreSQL schema with the referrals migrations applied; drop() removes it. */
export function createTestDatabase(poolSize = 10): Promise<TestDatabase> {
  return createPlatformTestDatabase('referrals', PrismaClient, {
    poolSize,
    migrationsDir: MIGRATIONS_DIR,
  });
}

export function actor(odsCode: string, region = 'london'): Actor {
  return testActor(odsCode, region);
}

/** Start of the day `days` from now, at hh:mm UTC. */
export const at = dayAt;
