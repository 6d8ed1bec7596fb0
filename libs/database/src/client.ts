import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolConfig } from 'pg';

import { assertSchemaName, toPoolConfig } from './connection';

export interface PrismaConnectionOptions {
  /** postgresql:// URL (DATABASE_URL). */
  url: string;
  /** The service's PostgreSQL schema, e.g. `identity` (or a test schema `identity_t3f9a2c`). */
  schema: string;
  /** Pool size per process (pg default 10). */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Idle connection timeout (ms). */
  idleTimeoutMillis?: number;
  /** Called when an idle pooled connection errors (e.g. the server restarted). */
  onPoolError?: (error: Error) => void;
}

/**
 * The pg driver adapter for one service schema:
 * - `schema` option → Prisma qualifies every generated query with `"<schema>".` (so model queries
 *   land in the service schema whatever the search_path);
 * - startup option `-c search_path="<schema>",public` → tagged `$queryRaw` with unqualified names
 *   resolves to the service schema, and the extensions' functions/operators in `public`
 *   (pg_trgm `similarity`, `%`; fuzzystrmatch `levenshtein`, `dmetaphone`) resolve too.
 * Built from discrete pool fields (not a connection string) so nothing in the URL overrides them.
 */
export function createPrismaAdapter(options: PrismaConnectionOptions): PrismaPg {
  return adapterOn(poolConfigOf(options), options);
}

function poolConfigOf(options: PrismaConnectionOptions): PoolConfig {
  const schema = assertSchemaName(options.schema);
  return toPoolConfig(
    { url: options.url, schema },
    {
      ...(options.poolSize !== undefined ? { max: options.poolSize } : {}),
      ...(options.idleTimeoutMillis !== undefined
        ? { idleTimeoutMillis: options.idleTimeoutMillis }
        : {}),
      ...(options.applicationName !== undefined
        ? { application_name: options.applicationName }
        : {}),
    },
  );
}

function adapterOn(pool: PoolConfig | Pool, options: PrismaConnectionOptions): PrismaPg {
  return new PrismaPg(pool, {
    schema: assertSchemaName(options.schema),
    // the client's $disconnect ends a pool handed in, as it ends its own
    ...(pool instanceof Pool ? { disposeExternalPool: true } : {}),
    // the adapter hands the name straight to pg, where undefined means an unnamed statement
    statementNameGenerator: ((query: { sql: string }) =>
      preparedStatementName(query.sql)) as unknown as (query: { sql: string }) => string,
    ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
  });
}

/**
 * The marker that opts one raw SQL text into a named (server-side prepared) statement:
 * `$queryRaw` text starting with `/* prepared:<name> *\/`. PostgreSQL then parses and plans it once
 * per connection instead of on every call — for a hot read with sub-selects, planning costs more
 * than executing. Opt-in, not the default: every distinct text named stays prepared in each pooled
 * connection for its life, so only fixed texts (no variable IN lists, no composed SQL) may use it.
 */
export const PREPARED_MARKER = '/* prepared:';

/** The named texts by marker label, each with its statement name. */
const named = new Map<string, Array<{ text: string; name: string }>>();
let namedCount = 0;
const MAX_PREPARED = 64;

/**
 * The statement name of a marked SQL text (undefined: unmarked, run unnamed). Each distinct text
 * gets its own name, so two texts under one marker never collide in a connection. Looked up by the
 * marker's label, then by text equality: a text is rebuilt on every call, and hashing a fresh
 * multi-kilobyte string as a map key cost ≈ 8 µs a time (docs/performance.md, create third pass).
 */
export function preparedStatementName(sql: string): string | undefined {
  if (!sql.startsWith(PREPARED_MARKER)) return undefined;
  const end = sql.indexOf('*/');
  const label = sql.slice(PREPARED_MARKER.length, end < 0 ? undefined : end).trim();
  const texts = named.get(label);
  const known = texts?.find((t) => t.text === sql);
  if (known) return known.name;
  // a marked text built per call would prepare without end: past the cap, run unnamed
  if (namedCount >= MAX_PREPARED) return undefined;
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(label)) {
    throw new Error(`invalid prepared statement marker ${JSON.stringify(label)}`);
  }
  const name = `${label}_${namedCount++}`;
  if (texts) texts.push({ text: sql, name });
  else named.set(label, [{ text: sql, name }]);
  return name;
}

/** Any generated `PrismaClient` class (prisma-client generator): `new PrismaClient({ adapter })`. */
export type PrismaClientConstructor<TClient> = new (options: { adapter: PrismaPg }) => TClient;

/**
 * `createPrismaClient(PrismaClient, { url, schema })` — the app passes its own generated client
 * class (apps/<app>/src/generated/prisma/client), so this lib never depends on any app's models.
 */
export function createPrismaClient<TClient>(
  Client: PrismaClientConstructor<TClient>,
  options: PrismaConnectionOptions,
): TClient {
  return new Client({ adapter: createPrismaAdapter(options) });
}

/**
 * A Prisma client and the pg pool it runs on, for the few hot reads that skip Prisma's query
 * pipeline (a named statement straight on the pool): one pool, one connection budget, both ended
 * by the client's `$disconnect`.
 */
export function createPrismaClientWithPool<TClient>(
  Client: PrismaClientConstructor<TClient>,
  options: PrismaConnectionOptions,
): { client: TClient; pool: Pool } {
  const pool = new Pool(poolConfigOf(options));
  return { client: new Client({ adapter: adapterOn(pool, options) }), pool };
}
