import { applyMigrations, MigrationError } from './migrate';

export interface MigrateFromEnvOptions {
  /** Service name; the default PostgreSQL schema. */
  app: string;
  /** Absolute path of the app's prisma/migrations (copied into the image as an asset); env MIGRATIONS_DIR wins. */
  migrationsDir: string;
  env?: NodeJS.ProcessEnv;
  /** One JSON log line per event (default: stdout). */
  write?: (line: string) => void;
}

/**
 * Entry point for a service's migration command in a container (the Helm migration Job runs
 * `node dist/apps/<app>/migrate.js`): DATABASE_URL (required), DATABASE_SCHEMA (default: the
 * app name) and optionally MIGRATIONS_DIR from the environment, same code as `tools/prisma/cli.ts <app> migrate-deploy`.
 * Returns the process exit code (0 applied or up to date, 1 refused/failed, 2 misconfigured).
 */
export async function migrateFromEnv(options: MigrateFromEnvOptions): Promise<number> {
  const env = options.env ?? process.env;
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const log = (
    level: 'info' | 'warn' | 'error',
    msg: string,
    extra: Record<string, unknown> = {},
  ) =>
    write(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        service: options.app,
        msg,
        ...extra,
      }),
    );
  const url = env.DATABASE_URL;
  const schema = env.DATABASE_SCHEMA || options.app.replace(/-/g, '_');
  if (!url) {
    log('error', 'DATABASE_URL is not set');
    return 2;
  }
  const started = Date.now();
  const migrationsDir = env.MIGRATIONS_DIR || options.migrationsDir;
  try {
    const result = await applyMigrations({
      url,
      schema,
      migrationsDir,
      log: (message) => log(message.startsWith('warning') ? 'warn' : 'info', message, { schema }),
    });
    log('info', result.applied.length ? 'migrations applied' : 'schema up to date', {
      schema,
      applied: result.applied,
      alreadyApplied: result.alreadyApplied.length,
      durationMs: Date.now() - started,
    });
    return 0;
  } catch (error) {
    const code = error instanceof MigrationError ? error.code : 'UNEXPECTED';
    log('error', error instanceof Error ? error.message : String(error), { schema, code });
    return 1;
  }
}
