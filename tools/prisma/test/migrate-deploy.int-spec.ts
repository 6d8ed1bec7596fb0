import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyMigrations,
  migrationChecksum,
  MigrationError,
  migrationStatus,
  readMigrations,
} from '@trellis/database';
import { uniqueSchemaName } from '@trellis/testing';
import { openEngine } from '../engine';
import { migrationList } from '../migrate-dev';
import {
  databaseUrl,
  dropSchemas,
  FIXTURE_DIR,
  FIXTURE_MIGRATIONS,
  runCli,
  scratchCopy,
  sql,
  tablesIn,
} from './helpers';

interface Row {
  id: string;
  checksum: string;
  migration_name: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

const rowsOf = (schema: string) =>
  sql<Row>(`SELECT * FROM "${schema}"._prisma_migrations ORDER BY migration_name`);

describe('migrate-deploy (plain SQL, Prisma-compatible rows)', () => {
  const local = readMigrations(FIXTURE_MIGRATIONS);
  const schemaA = uniqueSchemaName('fixture_a');
  const schemaB = uniqueSchemaName('fixture_b');
  const scratchSchemas: string[] = [];
  const scratch = (prefix: string) => {
    const name = uniqueSchemaName(prefix);
    scratchSchemas.push(name);
    return name;
  };

  afterAll(async () => {
    await dropSchemas(schemaA, schemaB, ...scratchSchemas);
  });

  it('applies the fixture migrations into two different schemas', async () => {
    expect(local.map((m) => m.name)).toEqual([
      expect.stringMatching(/_init$/),
      expect.stringMatching(/_add_birth_date$/),
    ]);
    for (const schema of [schemaA, schemaB]) {
      const result = await applyMigrations({
        url: databaseUrl(),
        schema,
        migrationsDir: FIXTURE_MIGRATIONS,
      });
      expect(result.applied).toEqual(local.map((m) => m.name));
      expect(await tablesIn(schema)).toEqual(['_prisma_migrations', 'notes', 'patients']);
      const types = await sql(
        `SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE nspname = $1 AND typname = 'Sex'`,
        [schema],
      );
      expect(types).toHaveLength(1);
    }
    // Nothing leaked into public.
    expect(
      await sql(
        `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('patients', 'notes')`,
      ),
    ).toEqual([]);
  });

  it('records _prisma_migrations rows exactly like prisma migrate deploy', async () => {
    const rows = await rowsOf(schemaA);
    expect(rows.map((r) => r.migration_name)).toEqual(local.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      const file = readFileSync(join(FIXTURE_MIGRATIONS, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(migrationChecksum(file.toString('utf8')));
      expect(row.checksum).toBe(local[i]?.checksum);
      expect(row.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.finished_at).not.toBeNull();
      expect((row.finished_at as Date).getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }
  });

  it('creates the same _prisma_migrations table as the schema engine', async () => {
    const engineSchema = scratch('fixture_engine');
    const { engine, close } = await openEngine({ url: databaseUrl(), schema: engineSchema }, [
      [
        join(FIXTURE_DIR, 'prisma', 'schema.prisma'),
        readFileSync(join(FIXTURE_DIR, 'prisma', 'schema.prisma'), 'utf8'),
      ],
    ]);
    try {
      const applied = await engine.applyMigrations({
        migrationsList: migrationList(FIXTURE_MIGRATIONS),
        filters: { externalTables: [], externalEnums: [] },
      });
      expect(applied.appliedMigrationNames).toEqual(local.map((m) => m.name));
    } finally {
      await close();
    }
    const describeTable = (schema: string) =>
      sql(
        `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default, ordinal_position
           FROM information_schema.columns WHERE table_schema = $1 AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
        [schema],
      );
    expect(await describeTable(schemaA)).toEqual(await describeTable(engineSchema));
    // The engine's rows carry the same checksums and step counts as ours.
    const engineRows = await rowsOf(engineSchema);
    expect(engineRows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count])).toEqual(
      (await rowsOf(schemaA)).map((r) => [r.migration_name, r.checksum, r.applied_steps_count]),
    );
  });

  it('is accepted by the schema engine (no drift, nothing edited, nothing failed)', async () => {
    const { engine, close } = await openEngine({ url: databaseUrl(), schema: schemaB }, [
      [
        join(FIXTURE_DIR, 'prisma', 'schema.prisma'),
        readFileSync(join(FIXTURE_DIR, 'prisma', 'schema.prisma'), 'utf8'),
      ],
    ]);
    try {
      const diagnosis = await engine.diagnoseMigrationHistory({
        migrationsList: migrationList(FIXTURE_MIGRATIONS),
        optInToShadowDatabase: false,
        filters: { externalTables: [], externalEnums: [] },
      });
      expect(diagnosis).toMatchObject({
        editedMigrationNames: [],
        failedMigrationNames: [],
        hasMigrationsTable: true,
        history: null,
      });
    } finally {
      await close();
    }
  });

  it('a second deploy is a no-op', async () => {
    const before = await rowsOf(schemaA);
    const result = await applyMigrations({
      url: databaseUrl(),
      schema: schemaA,
      migrationsDir: FIXTURE_MIGRATIONS,
    });
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toEqual(local.map((m) => m.name));
    expect(await rowsOf(schemaA)).toEqual(before);
  });

  it('refuses a migration modified after it was applied, applying nothing else', async () => {
    const { dir, cleanup } = scratchCopy(FIXTURE_MIGRATIONS);
    try {
      const schema = scratch('fixture_tamper');
      await applyMigrations({ url: databaseUrl(), schema, migrationsDir: dir });
      const first = local[0]?.name ?? '';
      writeFileSync(
        join(dir, first, 'migration.sql'),
        `${local[0]?.script}\nCREATE TABLE "sneaky" ("id" INT);\n`,
      );
      mkdirSync(join(dir, '29990101000000_later'));
      writeFileSync(
        join(dir, '29990101000000_later', 'migration.sql'),
        'CREATE TABLE "later" ("id" INT);\n',
      );
      const attempt = applyMigrations({ url: databaseUrl(), schema, migrationsDir: dir });
      await expect(attempt).rejects.toBeInstanceOf(MigrationError);
      await expect(attempt).rejects.toMatchObject({
        code: 'CHECKSUM_MISMATCH',
        migrations: [first],
      });
      expect(await tablesIn(schema)).toEqual(['_prisma_migrations', 'notes', 'patients']);
      const status = await migrationStatus({ url: databaseUrl(), schema, migrationsDir: dir });
      expect(status.modified).toEqual([first]);
      expect(status.pending).toEqual(['29990101000000_later']);
    } finally {
      cleanup();
    }
  });

  it('rolls a failing migration back completely and records nothing', async () => {
    const { dir, cleanup } = scratchCopy(FIXTURE_MIGRATIONS);
    try {
      const schema = scratch('fixture_fail');
      mkdirSync(join(dir, '29990101000000_broken'));
      writeFileSync(
        join(dir, '29990101000000_broken', 'migration.sql'),
        'CREATE TABLE "half" ("id" INT);\nALTER TABLE "no_such_table" ADD COLUMN "x" INT;\n',
      );
      await expect(
        applyMigrations({ url: databaseUrl(), schema, migrationsDir: dir }),
      ).rejects.toMatchObject({
        code: 'MIGRATION_FAILED',
        migrations: ['29990101000000_broken'],
      });
      expect(await tablesIn(schema)).toEqual(['_prisma_migrations', 'notes', 'patients']);
      expect((await rowsOf(schema)).map((r) => r.migration_name)).toEqual(local.map((m) => m.name));
    } finally {
      cleanup();
    }
  });

  it('serialises concurrent deploys of the same schema', async () => {
    const schema = scratch('fixture_race');
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        applyMigrations({ url: databaseUrl(), schema, migrationsDir: FIXTURE_MIGRATIONS }),
      ),
    );
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, 2]);
    expect(await rowsOf(schema)).toHaveLength(2);
  });

  it('works from the command line: deploy, no-op, status, refusal', () => {
    const schema = scratch('fixture_cli');
    const deploy = runCli(['tools/prisma/test/fixture', 'migrate-deploy', '--schema', schema]);
    expect(deploy.stderr).toBe('');
    expect(deploy.status).toBe(0);
    expect(deploy.stdout).toContain(`applied 2 migration(s) to schema "${schema}"`);
    const again = runCli(['tools/prisma/test/fixture', 'migrate-deploy', `--schema=${schema}`]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('no pending migrations');
    const status = runCli(['tools/prisma/test/fixture', 'status', '--schema', schema]);
    expect(status.status).toBe(0);
    expect(status.stdout.match(/applied {3}/g)).toHaveLength(2);
    const fresh = runCli([
      'tools/prisma/test/fixture',
      'status',
      '--schema',
      scratch('fixture_none'),
    ]);
    expect(fresh.status).toBe(1);
    expect(fresh.stdout).toContain('pending');
    const bad = runCli(['tools/prisma/test/fixture', 'migrate-deploy', '--schema', 'Bad-Name']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Invalid PostgreSQL schema name');
    const usage = runCli(['tools/prisma/test/fixture', 'migrate-everything']);
    expect(usage.status).toBe(2);
    console.log(
      `CLI timings: deploy ${deploy.ms} ms, no-op ${again.ms} ms, status ${status.ms} ms`,
    );
  });
});
