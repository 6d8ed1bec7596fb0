// The referrals integration tests' harness: the shared platform test helpers of @trellis/testing,
// bound to this app's Prisma client (the same names the specs have always used).
import {
  loadInfraEnv,
  testDatabaseFactory,
  type TestDatabase as ServiceTestDatabase,
} from '@trellis/testing';

import { PrismaClient } from '../../src/app/prisma';

export { DAY, HOUR, TestClock, testNhsNumber } from '@trellis/testing';
export { testActor as actor, dayAt as at } from '@trellis/testing';

export type TestDatabase = ServiceTestDatabase<PrismaClient>;

/** A fresh PostgreSQL schema with the referrals migrations applied; drop() removes it. */
export const createTestDatabase = testDatabaseFactory('referrals', PrismaClient);

/** postgresql:// URL of the test database server (for clients of its own). */
export const databaseUrl = (): string => loadInfraEnv().DATABASE_URL;
