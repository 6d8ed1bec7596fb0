import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MigrationList, SchemaFilter } from '@prisma/schema-engine-wasm';
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
  const engineOptions = {
    onShadowDatabase: options.onShadowDatabase,
    log: process.env.TRELLIS_PRISMA_DEBUG
      ? (m: string) => void process.stderr.write(`${m}\n`)
      : undefined,
  };
  const list = () => migrationList(project.migrationsDir);

  let opened = await openEngine(target, datamodels, engineOptions);
  try {
    const diagnostic = await opened.engine.devDiagnostic({
      migrationsList: list(),
      filters: NO_FILTER,
    });
    if (diagnostic.action.tag === 'reset') {
      if (!options.reset) {
        throw new MigrateDevError(
          `The development schema "${options.schema}" has drifted from the migrations: ${diagnostic.action.reason}\n` +
            `Re-run with --reset to drop and recreate it (all data in that schema is lost).`,
        );
      }
      log(`Resetting schema "${options.schema}": ${diagnostic.action.reason}`);
      await opened.close();
      await dropSchema(options.url, options.schema);
      opened = await openEngine(target, datamodels, engineOptions);
    }
    const { engine } = opened;
    const applied: string[] = [];
    const before = await engine.applyMigrations({ migrationsList: list(), filters: NO_FILTER });
    applied.push(...before.appliedMigrationNames);
    for (const name of before.appliedMigrationNames) log(`Applied ${name}`);

    // evaluateDataLoss and createMigration get no shadow-database factory in the wasm engine:
    // they reuse the schema the engine computed from the migration history in a shadow database
    // during an earlier call (its migration schema cache), else fail with "PostgreSQL shadow DB
    // must be provided through an external factory". devDiagnostic fills that cache only when
    // the database was already in sync, so (re)compute it here after applying anything.
    if (list().migrationDirectories.length > 0) {
      const history = await engine.diagnoseMigrationHistory({
        migrationsList: list(),
        optInToShadowDatabase: true,
        filters: NO_FILTER,
      });
      if (history.history !== null || history.failedMigrationNames.length > 0) {
        throw new MigrateDevError(
          `Schema "${options.schema}" does not match the migrations after applying them: ${JSON.stringify(history)}`,
        );
      }
    }

    const loss = await engine
      .evaluateDataLoss({ migrationsList: list(), schema: schemaFiles, filters: NO_FILTER })
      .catch((error: unknown) => {
        if (String(error).includes('shadow DB must be provided')) {
          throw new MigrateDevError(
            `The migration history could not be replayed in a shadow database (a migration that fails on an empty ` +
              `database, or an extension/role it needs?). Re-run with TRELLIS_PRISMA_DEBUG=1 for the engine's log.\n${String(error)}`,
          );
        }
        throw error;
      });
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
    if (!options.name) {
      throw new MigrateDevError('The schema changed: pass --name <snake_case_name>');
    }

    const migrationsList = list();
    const created = await engine.createMigration({
      draft: Boolean(options.createOnly),
      migrationName: options.name,
      migrationsList,
      schema: schemaFiles,
      filters: NO_FILTER,
    });
    if (created.migrationScript === null) {
      log('No migration created (empty).');
      return { applied };
    }
    // Same files, same bytes as the Prisma CLI writes.
    const folder = join(project.migrationsDir, created.generatedMigrationName);
    if (existsSync(folder)) {
      throw new MigrateDevError(`The migration directory already exists at ${folder}`);
    }
    mkdirSync(folder, { recursive: true, mode: 0o777 });
    writeFileSync(join(folder, `migration.${created.extension}`), created.migrationScript, 'utf8');
    writeFileSync(
      join(project.migrationsDir, migrationsList.lockfile.path),
      migrationLockContent(created.connectorType),
      'utf8',
    );
    log(`Created ${relative(REPO_ROOT, folder)}/migration.${created.extension}`);

    if (!options.createOnly) {
      const after = await engine.applyMigrations({ migrationsList: list(), filters: NO_FILTER });
      applied.push(...after.appliedMigrationNames);
      for (const name of after.appliedMigrationNames) log(`Applied ${name} to "${options.schema}"`);
    }
    return { created: created.generatedMigrationName, script: created.migrationScript, applied };
  } finally {
    await opened.close();
  }
}
