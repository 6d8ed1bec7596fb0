import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Walks up from `start` to the repo root (the directory holding nx.json). */
export function findRepoRoot(start = __dirname): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No nx.json above ${start}: not inside the Trellis repo`);
    dir = parent;
  }
}

/** Parses `KEY=VALUE` lines (comments, blank lines, optional `export `, optional quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match?.[1]) continue;
    let value = match[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? '';
    values[match[1]] = value;
  }
  return values;
}

export interface InfraEnv {
  DATABASE_URL: string;
  KAFKA_BROKERS?: string;
  KAFKA_SASL_MECHANISM?: string;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
  [key: string]: string | undefined;
}

/**
 * Loads `.trellis/infra.env` (written by tools/setup) into `process.env` without overriding
 * variables already set, and returns the merged view. Throws a clear message when neither the
 * environment nor the file provides DATABASE_URL.
 */
export function loadInfraEnv(
  path = join(process.env.TRELLIS_HOME ?? join(findRepoRoot(), '.trellis'), 'infra.env'),
): InfraEnv {
  if (existsSync(path)) {
    for (const [key, value] of Object.entries(parseEnvFile(readFileSync(path, 'utf8')))) {
      if (process.env[key] === undefined) process.env[key] = value;
    }
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      `DATABASE_URL is not set and ${path} is missing: run tools/setup/postgres.sh (or npm test)`,
    );
  }
  return { ...(process.env as Record<string, string | undefined>), DATABASE_URL: url };
}
