import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Client } from 'pg';
import { applyMigrations, assertSchemaName, quoteIdent, toPoolConfig } from '@trellis/database';
import { findRepoRoot, loadInfraEnv } from './infra-env';

export interface TestSchema {
  /** The fresh schema, e.g. `identity_t3f9a2c1b`. */
  schema: string;
  /** Database URL (same database as DATABASE_URL): pass `{ url, schema }` to createPrismaClient. */
  url: string;
  /** Migrations applied, in order. */
  migrations: string[];
  /** DROP SCHEMA ... CASCADE (idempotent). */
  drop(): Promise<void>;
}

export interface CreateTestSchemaOptions {
  /** apps/<app> whose prisma/migrations are applied; or a project directory containing prisma/. */
  app: string;
  /** Override the migrations directory. */
  migrationsDir?: string;
  /** Override DATABASE_URL. */
  url?: string;
  /** Schema name prefix (default: the app name, `-` → `_`). */
  prefix?: string;
}

/** A unique schema name: `<prefix>_t<10 hex>` (fits PostgreSQL's 63-byte limit). */
export function uniqueSchemaName(prefix: string): string {
  const base = prefix.replace(/[^a-z0-9_]/g, '_').slice(0, 40);
  return assertSchemaName(`${base}_t${randomBytes(5).toString('hex')}`);
}

function migrationsDirFor(app: string): { dir: string; name: string } {
  const root = findRepoRoot();
  const projectDir = app.includes('/')
    ? isAbsolute(app)
      ? app
      : resolve(root, app)
    : join(root, 'apps', app);
  const name = projectDir.split('/').filter(Boolean).pop() ?? app;
  return { dir: join(projectDir, 'prisma', 'migrations'), name };
}

/**
 * A fresh, uniquely named PostgreSQL schema with the app's migrations applied by
 * `applyMigrations` (the same code as `migrate-deploy`). Call `drop()` in afterAll.
 * Accepts `createTestSchema('identity')` or `createTestSchema({ app: 'identity' })`.
 */
export async function createTestSchema(
  options: CreateTestSchemaOptions | string,
): Promise<TestSchema> {
  const opts = typeof options === 'string' ? { app: options } : options;
  const url = opts.url ?? loadInfraEnv().DATABASE_URL;
  const located = migrationsDirFor(opts.app);
  const migrationsDir = opts.migrationsDir ?? located.dir;
  if (!existsSync(migrationsDir)) {
    throw new Error(
      `No migrations at ${migrationsDir}: run tools/prisma/cli.ts ${opts.app} migrate-dev --name init`,
    );
  }
  const schema = uniqueSchemaName(opts.prefix ?? located.name.replace(/-/g, '_'));
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    const client = new Client(toPoolConfig({ url, schema }));
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      dropped = true;
    } finally {
      await client.end();
    }
  };
  try {
    const result = await applyMigrations({ url, schema, migrationsDir });
    return { schema, url, migrations: result.applied, drop };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
}

/** Names createTestSchema makes: `<prefix>_t<10 hex>`. */
export const TEST_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]*_t[0-9a-f]{10}$/;

/**
 * Drops test schemas left behind by crashed suites: names matching TEST_SCHEMA_PATTERN whose
 * first migration started more than `olderThanMinutes` ago (default 120). Safe to call from a
 * Jest globalSetup: a suite running now has younger schemas. Returns the dropped names.
 */
export async function sweepStaleTestSchemas(
  options: { url?: string; olderThanMinutes?: number } = {},
): Promise<string[]> {
  const url = options.url ?? loadInfraEnv().DATABASE_URL;
  const minutes = options.olderThanMinutes ?? 120;
  const client = new Client(toPoolConfig({ url, schema: 'public' }));
  await client.connect();
  const dropped: string[] = [];
  try {
    const candidates = await client.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname ~ '_t[0-9a-f]{10}$' ORDER BY nspname`,
    );
    for (const { nspname } of candidates.rows) {
      if (!TEST_SCHEMA_PATTERN.test(nspname)) continue;
      const table = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
        `${quoteIdent(nspname)}._prisma_migrations`,
      ]);
      if (!table.rows[0]?.t) continue;
      // A suite running beside this sweep may drop its own schema between the two queries.
      const age = await client
        .query<{ old: boolean }>(
          `SELECT coalesce(min(started_at) < now() - make_interval(mins => $1), false) AS old FROM ${quoteIdent(nspname)}._prisma_migrations`,
          [minutes],
        )
        .catch((err: unknown) => {
          if (droppedMeanwhile(err)) return undefined;
          throw err;
        });
      if (!age?.rows[0]?.old) continue;
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(nspname)} CASCADE`);
      dropped.push(nspname);
    }
  } finally {
    await client.end();
  }
  return dropped;
}

/** undefined_table / invalid_schema_name: the schema went away under the sweep. */
function droppedMeanwhile(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '42P01' || code === '3F000';
}
