import type { PoolConfig } from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';

import { tlsFromEnvironment } from './tls';

/**
 * PostgreSQL schema names Trellis accepts for a service or a test: lower-case, starting with a
 * letter or underscore, at most 63 bytes (PostgreSQL's identifier limit). Anything else is
 * rejected before it reaches SQL, so identifiers can be quoted without escaping surprises.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `Invalid PostgreSQL schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _ (max 63, not starting with a digit)`,
    );
  }
  if (schema.startsWith('pg_')) {
    throw new Error(
      `Invalid PostgreSQL schema name ${JSON.stringify(schema)}: the pg_ prefix is reserved`,
    );
  }
  return schema;
}

/** Quotes an SQL identifier (doubling embedded quotes). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The `search_path` every Trellis connection uses: the service schema first (so unqualified
 * migration SQL and raw queries land there), then `public`, where the shared extensions
 * (pg_trgm, fuzzystrmatch, pgcrypto) live so their functions and operators resolve.
 */
export function searchPath(schema: string): string {
  return `${quoteIdent(assertSchemaName(schema))}, public`;
}

/** libpq-style startup `options` that set the search_path for every pooled connection. */
export function searchPathStartupOption(schema: string): string {
  return `-c search_path=${quoteIdent(assertSchemaName(schema))},public`;
}

export interface ConnectionTarget {
  /** postgresql:// URL (a Prisma-style `?schema=` parameter is ignored: pass `schema`). */
  url: string;
  /** The PostgreSQL schema the connection works in. */
  schema: string;
  /** Connect to this database instead of the one in the URL (e.g. a shadow database). */
  database?: string;
}

/**
 * A pg pool configuration made of discrete fields (host, user, database, ...) rather than a
 * `connectionString`: pg lets a connection string override explicit fields, which would silently
 * point a shadow-database connection back at the main database.
 */
export function toPoolConfig(target: ConnectionTarget, extra: PoolConfig = {}): PoolConfig {
  const parsed = parseIntoClientConfig(stripPrismaParams(target.url));
  const config: PoolConfig = {
    ...(parsed as PoolConfig),
    ...extra,
    options: searchPathStartupOption(target.schema),
  };
  if (target.database !== undefined) config.database = target.database;
  if (parsed.ssl === undefined && extra.ssl === undefined) {
    const tls = tlsFromEnvironment();
    if (tls !== undefined) config.ssl = tls;
  }
  return config;
}

/** Removes URL parameters only Prisma understands (`schema`, `connection_limit`, ...). */
export function stripPrismaParams(url: string): string {
  const prismaOnly = [
    'schema',
    'connection_limit',
    'pool_timeout',
    'pgbouncer',
    'statement_cache_size',
    'socket_timeout',
  ];
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of prismaOnly) params.delete(name);
  const rest = params.toString();
  return rest ? `${url.slice(0, queryStart)}?${rest}` : url.slice(0, queryStart);
}

/** The database name a URL points at. */
export function databaseOf(url: string): string {
  const parsed = parseIntoClientConfig(stripPrismaParams(url));
  if (!parsed.database) throw new Error('DATABASE_URL names no database');
  return parsed.database;
}
