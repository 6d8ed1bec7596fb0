import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Client, type QueryResultRow } from 'pg';
import { quoteIdent, toPoolConfig } from '@trellis/database';

export const REPO = resolve(__dirname, '../../..');
export const FIXTURE_DIR = join(__dirname, 'fixture');
export const FIXTURE_MIGRATIONS = join(FIXTURE_DIR, 'prisma', 'migrations');

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL not set (jest int config loads .trellis/infra.env)');
  return url;
}

export async function sql<T extends QueryResultRow = QueryResultRow>(
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client(toPoolConfig({ url: databaseUrl(), schema: 'public' }));
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchemas(...schemas: string[]): Promise<void> {
  for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
}

export async function tablesIn(schema: string): Promise<string[]> {
  const rows = await sql<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  return rows.map((r) => r.table_name);
}

/** A scratch copy of a directory (removed by the returned cleanup). */
export function scratchCopy(
  source: string,
  prefix = 'trellis-prisma-',
): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(source, dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the CLI the way developers and Nx targets do. */
export function runCli(args: string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
} {
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    ['-r', '@swc-node/register', join(REPO, 'tools/prisma/cli.ts'), ...args],
    {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, SWC_NODE_PROJECT: join(REPO, 'tsconfig.base.json') },
    },
  );
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    ms: Date.now() - started,
  };
}
