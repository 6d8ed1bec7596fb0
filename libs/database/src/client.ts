import { PrismaPg } from '@prisma/adapter-pg';
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
  const schema = assertSchemaName(options.schema);
  const pool = toPoolConfig(
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
  return new PrismaPg(pool, {
    schema,
    ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
  });
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
