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
