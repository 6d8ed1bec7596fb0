import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm';
import {
  assertMigrationName,
  MIGRATION_LOCK_FILE,
  migrationLockContent,
  quoteIdent,
  readMigrations,
  toPoolConfig,
} from '@trellis/database';
import { Client } from 'pg';
import { explainEngineError, openEngine } from './engine';
import { readSchemaFiles, REPO_ROOT, type PrismaProject } from './prisma-project';

export interface MigrateDevOptions {
  url: string;
  /** PostgreSQL schema of the development database to diff against and migrate. */
  schema: string;
  /** snake_case name; required when the schema changed. */
  name?: string;
  /** Only write the migration, do not apply it. */
  createOnly?: boolean;
  /** Apply even when the engine warns about data loss (non-interactive `--force`). */
  acceptDataLoss?: boolean;
  /** When the dev schema has drifted, drop and recreate it instead of stopping. */
  reset?: boolean;
  log?: (message: string) => void;
  /** Observes shadow databases (tests check they are dropped). */
  onShadowDatabase?: (event: 'created' | 'dropped', name: string) => void;
}

export interface MigrateDevResult {
  /** Folder created, if any. */
  created?: string;
  script?: string;
  /** Migrations applied to the development schema by this run. */
  applied: string[];
}

export class MigrateDevError extends Error {
  override readonly name = 'MigrateDevError';
}

/** Reads the migrations folder the way the Prisma CLI does before each engine call. */
export function migrationList(migrationsDir: string): MigrationList {
  const lockPath = join(migrationsDir, MIGRATION_LOCK_FILE);
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: MIGRATION_LOCK_FILE,
      content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: readMigrations(migrationsDir).map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.script } },
    })),
  };
}

const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new Client(toPoolConfig({ url, schema }));
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * `prisma migrate dev` on the wasm engine, in the CLI's own order:
 * devDiagnostic → applyMigrations → evaluateDataLoss → createMigration → applyMigrations.
 */
export async function migrateDev(
  project: PrismaProject,
  options: MigrateDevOptions,
): Promise<MigrateDevResult> {
  try {
    return await migrateDevSteps(project, options);
  } catch (error) {
    throw explainEngineError(error);
  }
}

async function migrateDevSteps(
  project: PrismaProject,
  options: MigrateDevOptions,
): Promise<MigrateDevResult> {
  const log = options.log ?? (() => undefined);
  if (options.name !== undefined) assertMigrationName(options.name);
  const datamodels = readSchemaFiles(project);
  const schemaFiles = { files: datamodels.map(([path, content]) => ({ path, content })) };
  const target = { url: options.url, schema: options.schema };
  const engineLog = process.env.TRELLIS_PRISMA_DEBUG
    ? (m: string) => process.stderr.write(`${m}\n`)
    : undefined;
  // One engine per step: after applyMigrations has run migrations, the same wasm engine refuses
  // further shadow-database work ("shadow DB must be provided through an external factory").
  const step = async <T>(fn: (engine: SchemaEngine) => Promise<T>): Promise<T> => {
    const { engine, close } = await openEngine(target, datamodels, {
      onShadowDatabase: options.onShadowDatabase,
      log: engineLog,
    });
    try {
      return await fn(engine);
    } finally {
      await close();
    }
  };
  {
    const diagnostic = await step((engine) =>
      engine.devDiagnostic({
        migrationsList: migrationList(project.migrationsDir),
        filters: NO_FILTER,
      }),
    );
    if (diagnostic.action.tag === 'reset') {
      if (!options.reset) {
        throw new MigrateDevError(
          `The development schema "${options.schema}" has drifted from the migrations: ${diagnostic.action.reason}\n` +
            `Re-run with --reset to drop and recreate it (all data in that schema is lost).`,
        );
      }
      log(`Resetting schema "${options.schema}": ${diagnostic.action.reason}`);
      await dropSchema(options.url, options.schema);
    }
    const applied: string[] = [];
    const before = await step((engine) =>
      engine.applyMigrations({
        migrationsList: migrationList(project.migrationsDir),
        filters: NO_FILTER,
      }),
    );
    applied.push(...before.appliedMigrationNames);
    for (const name of before.appliedMigrationNames) log(`Applied ${name}`);

    const loss = await step((engine) =>
      engine.evaluateDataLoss({
        migrationsList: migrationList(project.migrationsDir),
        schema: schemaFiles,
        filters: NO_FILTER,
      }),
    );
    if (loss.unexecutableSteps.length > 0) {
      throw new MigrateDevError(
        `The migration cannot be executed on the current data:\n${loss.unexecutableSteps.map((s) => `  • ${s.message}`).join('\n')}`,
      );
    }
    if (loss.warnings.length > 0) {
      const text = loss.warnings.map((w) => `  • ${w.message}`).join('\n');
      if (!options.acceptDataLoss) {
        throw new MigrateDevError(
          `Data loss warnings (re-run with --accept-data-loss to proceed):\n${text}`,
        );
      }
      log(`Warnings accepted:\n${text}`);
    }
    if (loss.migrationSteps === 0 && !options.createOnly) {
      log(`Already in sync: no schema change, no migration created.`);
      return { applied };
    }
    if (!options.name)
      throw new MigrateDevError('The schema changed: pass --name <snake_case_name>');

    const migrationsList = migrationList(project.migrationsDir);
    const migrationName = options.name;
    const created = await step((engine) =>
      engine.createMigration({
        draft: Boolean(options.createOnly),
        migrationName,
        migrationsList,
        schema: schemaFiles,
        filters: NO_FILTER,
      }),
    );
    if (created.migrationScript === null) {
      log('No migration created (empty).');
      return { applied };
    }
    // Same files, same bytes as the Prisma CLI writes.
    const folder = join(project.migrationsDir, created.generatedMigrationName);
    if (existsSync(folder))
      throw new MigrateDevError(`The migration directory already exists at ${folder}`);
    mkdirSync(folder, { recursive: true, mode: 0o777 });
    writeFileSync(join(folder, `migration.${created.extension}`), created.migrationScript, 'utf8');
    writeFileSync(
      join(project.migrationsDir, migrationsList.lockfile.path),
      migrationLockContent(created.connectorType),
      'utf8',
    );
    log(`Created ${relative(REPO_ROOT, folder)}/migration.${created.extension}`);

    if (!options.createOnly) {
      const after = await step((engine) =>
        engine.applyMigrations({
          migrationsList: migrationList(project.migrationsDir),
          filters: NO_FILTER,
        }),
      );
      applied.push(...after.appliedMigrationNames);
      for (const name of after.appliedMigrationNames) log(`Applied ${name} to "${options.schema}"`);
    }
    return { created: created.generatedMigrationName, script: created.migrationScript, applied };
  }
}
