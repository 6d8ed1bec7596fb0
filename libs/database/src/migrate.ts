import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { assertSchemaName, quoteIdent, toPoolConfig } from './connection';
import { readMigrations, type MigrationFile } from './migration-files';

/**
 * Applies `prisma/migrations` to one PostgreSQL schema with plain SQL, writing the same
 * `_prisma_migrations` rows `prisma migrate deploy` writes (so the real CLI keeps working on the
 * same database): checksum = sha256 of migration.sql, started_at, finished_at,
 * applied_steps_count = 1. Each migration runs in its own transaction with
 * `search_path = "<schema>", public`, so the unqualified migration SQL lands in `<schema>`.
 *
 * Used by `tools/prisma/cli.ts migrate-deploy`, the Helm migration Job and every integration
 * suite (through @trellis/testing's createTestSchema).
 */

export const MIGRATIONS_TABLE = '_prisma_migrations';

/** Prisma's own DDL for the migrations table (PostgreSQL flavour), schema-qualified. */
export function migrationsTableDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.${MIGRATIONS_TABLE} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;
}

/** Advisory lock key shared with Prisma's migrate lock id; second key = the schema. */
const LOCK_CLASS = 72707369;

export type MigrationErrorCode =
  'CHECKSUM_MISMATCH' | 'FAILED_MIGRATION' | 'MIGRATION_FAILED' | 'NO_MIGRATIONS';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly migrations: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface MigrationTarget {
  /** postgresql:// URL of the database. */
  url: string;
  /** PostgreSQL schema to migrate (created if missing). */
  schema: string;
  /** The app's `prisma/migrations` directory. */
  migrationsDir: string;
}

export interface ApplyMigrationsOptions extends MigrationTarget {
  log?: (message: string) => void;
}

export interface ApplyMigrationsResult {
  schema: string;
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations found already applied. */
  alreadyApplied: string[];
  /** Applied in the database but absent from the directory (left alone, reported). */
  unknown: string[];
}

export interface AppliedRow {
  id: string;
  checksum: string;
  migration_name: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

export interface MigrationPlan {
  applied: string[];
  pending: MigrationFile[];
  /** Applied migrations whose file changed since (checksum mismatch). */
  modified: string[];
  /** Rows left unfinished by a failed `prisma migrate deploy` (not rolled back). */
  failed: string[];
  /** Applied in the database, missing locally. */
  unknown: string[];
}

/** Pure comparison of the directory with the `_prisma_migrations` rows. */
export function planMigrations(local: MigrationFile[], rows: AppliedRow[]): MigrationPlan {
  const live = rows.filter((row) => row.rolled_back_at === null);
  const finished = new Map<string, AppliedRow>();
  const failed: string[] = [];
  for (const row of live) {
    if (row.finished_at === null) failed.push(row.migration_name);
    else finished.set(row.migration_name, row);
  }
  const localNames = new Set(local.map((m) => m.name));
  const plan: MigrationPlan = { applied: [], pending: [], modified: [], failed, unknown: [] };
  for (const migration of local) {
    const row = finished.get(migration.name);
    if (!row) {
      if (!failed.includes(migration.name)) plan.pending.push(migration);
      continue;
    }
    plan.applied.push(migration.name);
    if (row.checksum !== migration.checksum) plan.modified.push(migration.name);
  }
  plan.unknown = [...finished.keys()].filter((name) => !localNames.has(name));
  return plan;
}

/** A script that manages its own transaction (e.g. Prisma's enum rewrites) can't be wrapped. */
export function hasOwnTransactionControl(script: string): boolean {
  const withoutComments = script.replace(/--[^\n]*/g, '');
  return (
    /(^|;)\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION)\s*;/i.test(withoutComments) ||
    /\bCONCURRENTLY\b/i.test(withoutComments)
  );
}

async function readRows(client: Client, schema: string): Promise<AppliedRow[]> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
    `${quoteIdent(schema)}.${MIGRATIONS_TABLE}`,
  ]);
  if (!exists.rows[0]?.t) return [];
  const result = await client.query<AppliedRow>(
    `SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, applied_steps_count, logs
       FROM ${quoteIdent(schema)}.${MIGRATIONS_TABLE} ORDER BY started_at, migration_name`,
  );
  return result.rows;
}

async function withClient<T>(
  target: { url: string; schema: string },
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ ...toPoolConfig(target), application_name: 'trellis-migrate' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Applies pending migrations (see module comment). Throws MigrationError; never half-applies one. */
export async function applyMigrations(
  options: ApplyMigrationsOptions,
): Promise<ApplyMigrationsResult> {
  const schema = assertSchemaName(options.schema);
  const log = options.log ?? (() => undefined);
  const local = readMigrations(options.migrationsDir);
  if (local.length === 0) {
    throw new MigrationError('NO_MIGRATIONS', `No migrations in ${options.migrationsDir}`);
  }
  return withClient({ url: options.url, schema }, async (client) => {
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await client.query(migrationsTableDdl(schema));
      const plan = planMigrations(local, await readRows(client, schema));
      if (plan.failed.length > 0) {
        throw new MigrationError(
          'FAILED_MIGRATION',
          `Schema "${schema}" has failed migrations (${plan.failed.join(', ')}): resolve them first (prisma migrate resolve).`,
          plan.failed,
        );
      }
      if (plan.modified.length > 0) {
        throw new MigrationError(
          'CHECKSUM_MISMATCH',
          `Migration(s) ${plan.modified.join(', ')} were modified after being applied to schema "${schema}" (checksum mismatch). Never edit an applied migration: add a new one.`,
          plan.modified,
        );
      }
      for (const name of plan.unknown) {
        log(
          `warning: ${name} is applied in schema "${schema}" but missing from ${options.migrationsDir}`,
        );
      }
      const table = `${quoteIdent(schema)}.${MIGRATIONS_TABLE}`;
      const applied: string[] = [];
      for (const migration of plan.pending) {
        const id = randomUUID();
        const started = Date.now();
        const wrap = !hasOwnTransactionControl(migration.script);
        try {
          if (wrap) await client.query('BEGIN');
          await client.query(
            `INSERT INTO ${table} (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, clock_timestamp(), 0)`,
            [id, migration.checksum, migration.name],
          );
          await client.query(migration.script);
          await client.query(
            `UPDATE ${table} SET finished_at = clock_timestamp(), applied_steps_count = applied_steps_count + 1 WHERE id = $1`,
            [id],
          );
          if (wrap) await client.query('COMMIT');
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (wrap) {
            await client.query('ROLLBACK').catch(() => undefined);
          } else {
            // Same record Prisma leaves behind: the row stays unfinished with the error in logs.
            await client
              .query(`UPDATE ${table} SET logs = $2 WHERE id = $1`, [id, message])
              .catch(() => undefined);
          }
          throw new MigrationError(
            'MIGRATION_FAILED',
            `Migration ${migration.name} failed on schema "${schema}"${wrap ? ' and was rolled back' : ''}: ${message}`,
            [migration.name],
            { cause: error },
          );
        }
        applied.push(migration.name);
        log(`applied ${migration.name} to "${schema}" in ${Date.now() - started} ms`);
      }
      return { schema, applied, alreadyApplied: plan.applied, unknown: plan.unknown };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, schema])
        .catch(() => undefined);
    }
  });
}

export interface MigrationStatus extends Omit<MigrationPlan, 'pending'> {
  schema: string;
  schemaExists: boolean;
  pending: string[];
  rows: AppliedRow[];
}

/** Read-only comparison of the directory with a schema's `_prisma_migrations`. */
export async function migrationStatus(target: MigrationTarget): Promise<MigrationStatus> {
  const schema = assertSchemaName(target.schema);
  const local = readMigrations(target.migrationsDir);
  return withClient({ url: target.url, schema }, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    const rows = await readRows(client, schema);
    const plan = planMigrations(local, rows);
    return {
      ...plan,
      pending: plan.pending.map((m) => m.name),
      schema,
      schemaExists: found.rowCount === 1,
      rows,
    };
  });
}
