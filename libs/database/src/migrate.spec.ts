import {
  hasOwnTransactionControl,
  migrationsTableDdl,
  planMigrations,
  type AppliedRow,
} from './migrate';
import type { MigrationFile } from './migration-files';

const file = (name: string, checksum = `sum-${name}`): MigrationFile => ({
  name,
  script: '',
  checksum,
});
const row = (name: string, over: Partial<AppliedRow> = {}): AppliedRow => ({
  id: `id-${name}`,
  checksum: `sum-${name}`,
  migration_name: name,
  started_at: new Date(0),
  finished_at: new Date(1),
  rolled_back_at: null,
  applied_steps_count: 1,
  logs: null,
  ...over,
});

describe('planMigrations', () => {
  it('lists pending migrations after the applied ones, in folder order', () => {
    const plan = planMigrations([file('1_a'), file('2_b'), file('3_c')], [row('1_a')]);
    expect(plan.applied).toEqual(['1_a']);
    expect(plan.pending.map((m) => m.name)).toEqual(['2_b', '3_c']);
    expect(plan.modified).toEqual([]);
  });

  it('flags an applied migration whose file changed', () => {
    const plan = planMigrations([file('1_a', 'other')], [row('1_a')]);
    expect(plan.modified).toEqual(['1_a']);
  });

  it('reports failed rows and does not plan them again', () => {
    const plan = planMigrations(
      [file('1_a'), file('2_b')],
      [row('1_a'), row('2_b', { finished_at: null })],
    );
    expect(plan.failed).toEqual(['2_b']);
    expect(plan.pending).toEqual([]);
  });

  it('ignores rolled-back rows (the migration is pending again)', () => {
    const plan = planMigrations(
      [file('1_a')],
      [row('1_a', { finished_at: null, rolled_back_at: new Date(2) })],
    );
    expect(plan.failed).toEqual([]);
    expect(plan.pending.map((m) => m.name)).toEqual(['1_a']);
  });

  it('reports migrations applied in the database but missing locally', () => {
    expect(planMigrations([file('1_a')], [row('1_a'), row('0_old')]).unknown).toEqual(['0_old']);
  });
});

describe('hasOwnTransactionControl', () => {
  it('detects scripts that manage transactions or need to run outside one', () => {
    expect(hasOwnTransactionControl('BEGIN;\nALTER TYPE "x" RENAME TO "y";\nCOMMIT;')).toBe(true);
    expect(hasOwnTransactionControl('CREATE INDEX CONCURRENTLY "i" ON "t"("c");')).toBe(true);
  });
  it('does not mistake plpgsql bodies or comments for transaction control', () => {
    const fn = `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RETURN 1;
END;
$$;
-- BEGIN;`;
    expect(hasOwnTransactionControl(fn)).toBe(false);
    expect(hasOwnTransactionControl('CREATE TABLE "t" ("id" INT);')).toBe(false);
  });
});

it("creates Prisma's migrations table in the given schema", () => {
  const ddl = migrationsTableDdl('identity_t1');
  expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "identity_t1"._prisma_migrations');
  for (const column of [
    'id                      VARCHAR(36) PRIMARY KEY NOT NULL',
    'checksum                VARCHAR(64) NOT NULL',
    'applied_steps_count     INTEGER NOT NULL DEFAULT 0',
  ]) {
    expect(ddl).toContain(column);
  }
});
