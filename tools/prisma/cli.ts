/**
 * Trellis Prisma tool: generate + migrations per service, with no downloadable Prisma engine.
 *
 *   node -r @swc-node/register tools/prisma/cli.ts <app|dir> generate
 *   node -r @swc-node/register tools/prisma/cli.ts <app|dir> migrate-dev --name <snake_case> [--create-only] [--accept-data-loss] [--reset] [--skip-generate] [--schema s]
 *   node -r @swc-node/register tools/prisma/cli.ts <app|dir> migrate-deploy [--schema s]
 *   node -r @swc-node/register tools/prisma/cli.ts <app|dir> status [--schema s]
 *
 * <app> is an apps/ project name (identity) or a project directory containing prisma/schema.prisma.
 * DATABASE_URL comes from the environment, else from .trellis/infra.env. The PostgreSQL schema
 * defaults to the app name. See docs/prisma.md.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { applyMigrations, MigrationError, migrationStatus } from '@trellis/database';
import { explainEngineError } from './engine';
import { generate } from './generate';
import { migrateDev, MigrateDevError } from './migrate-dev';
import { REPO_ROOT, resolveProject } from './prisma-project';

export interface CliArgs {
  app: string;
  command: string;
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['name', 'schema', 'url']);
const BOOLEAN_FLAGS = new Set([
  'create-only',
  'accept-data-loss',
  'reset',
  'json',
  'skip-generate',
]);
const COMMANDS = new Set(['generate', 'migrate-dev', 'migrate-deploy', 'status']);

export const USAGE = `usage: cli.ts <app|dir> generate | migrate-dev --name <snake_case> [--create-only] [--accept-data-loss] [--reset] [--skip-generate] | migrate-deploy | status   [--schema <pg schema>] [--url <postgresql url>]`;

export function parseArgs(argv: string[]): CliArgs {
  const [app, command, ...rest] = argv;
  if (!app || !command) throw new UsageError(USAGE);
  if (!COMMANDS.has(command)) throw new UsageError(`Unknown command ${command}\n${USAGE}`);
  const flags = new Map<string, string | true>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new UsageError(`Unexpected argument ${arg}\n${USAGE}`);
    const key = match[1];
    if (VALUE_FLAGS.has(key)) {
      const value = match[2] ?? rest[++i];
      if (value === undefined || value.startsWith('--'))
        throw new UsageError(`--${key} needs a value`);
      flags.set(key, value);
    } else if (BOOLEAN_FLAGS.has(key) && match[2] === undefined) {
      flags.set(key, true);
    } else {
      throw new UsageError(`Unknown option --${key}\n${USAGE}`);
    }
  }
  return { app, command, flags };
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function stringFlag(args: CliArgs, key: string): string | undefined {
  const value = args.flags.get(key);
  return typeof value === 'string' ? value : undefined;
}

function databaseUrl(args: CliArgs): string {
  const explicit = stringFlag(args, 'url');
  if (explicit) return explicit;
  const infraEnv = join(REPO_ROOT, '.trellis', 'infra.env');
  if (!process.env.DATABASE_URL && existsSync(infraEnv)) process.loadEnvFile(infraEnv);
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new UsageError(
      'DATABASE_URL is not set (and .trellis/infra.env is missing): run tools/setup/postgres.sh',
    );
  return url;
}

const say = (message: string): void => void process.stdout.write(`${message}\n`);

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const project = resolveProject(args.app);
  const schema = stringFlag(args, 'schema') ?? project.defaultSchema;
  const started = Date.now();
  switch (args.command) {
    case 'generate':
      generate(project);
      break;
    case 'migrate-dev': {
      const result = await migrateDev(project, {
        url: databaseUrl(args),
        schema,
        name: stringFlag(args, 'name'),
        createOnly: args.flags.has('create-only'),
        acceptDataLoss: args.flags.has('accept-data-loss'),
        reset: args.flags.has('reset'),
        log: say,
      });
      if (!result.created && result.applied.length === 0)
        say(`${project.name}: schema "${schema}" is up to date.`);
      break;
    }
    case 'migrate-deploy': {
      const result = await applyMigrations({
        url: databaseUrl(args),
        schema,
        migrationsDir: project.migrationsDir,
        log: say,
      });
      say(
        result.applied.length === 0
          ? `${project.name}: no pending migrations in schema "${schema}" (${result.alreadyApplied.length} applied).`
          : `${project.name}: applied ${result.applied.length} migration(s) to schema "${schema}".`,
      );
      break;
    }
    case 'status': {
      const status = await migrationStatus({
        url: databaseUrl(args),
        schema,
        migrationsDir: project.migrationsDir,
      });
      if (args.flags.has('json')) {
        say(JSON.stringify({ ...status, rows: undefined }, null, 2));
        break;
      }
      say(
        `${project.name} → schema "${schema}"${status.schemaExists ? '' : ' (does not exist yet)'}`,
      );
      for (const name of status.applied)
        say(
          `  applied   ${name}${status.modified.includes(name) ? '  (MODIFIED since applied)' : ''}`,
        );
      for (const name of status.failed) say(`  FAILED    ${name}`);
      for (const name of status.pending) say(`  pending   ${name}`);
      for (const name of status.unknown)
        say(`  unknown   ${name} (in the database, not in the folder)`);
      if (status.pending.length + status.failed.length + status.modified.length > 0)
        process.exitCode = 1;
      break;
    }
  }
  if (args.command !== 'status') say(`done in ${Date.now() - started} ms`);
}

if (require.main === module) {
  // A Rust panic inside the wasm engine can surface as an uncaught trap: report its message.
  process.on('uncaughtException', (error) => {
    const explained = explainEngineError(error);
    process.stderr.write(
      `${explained instanceof Error ? (explained.stack ?? explained.message) : String(explained)}\n`,
    );
    process.exit(1);
  });
  run(process.argv.slice(2)).then(
    // Pitfall 6: the wasm engine leaves a timer behind; exit explicitly.
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      const known =
        error instanceof UsageError ||
        error instanceof MigrationError ||
        error instanceof MigrateDevError;
      process.stderr.write(
        `${known ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
