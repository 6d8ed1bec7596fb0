import type { Pool, PoolClient } from 'pg';

import { preparedStatementName } from './client';

/** A complete raw statement as Prisma's `Sql` carries it: text with `$n` placeholders, values. */
export interface SqlStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** A fragment nested in a tagged template (`Prisma.sql`, `Prisma.raw`, `Prisma.empty`). */
interface SqlFragment {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
}

const isFragment = (v: unknown): v is SqlFragment =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as SqlFragment).strings) &&
  Array.isArray((v as SqlFragment).values);

/**
 * The text and values of a tagged template, nested fragments inlined (as Prisma's `Sql` does), so
 * `$queryRaw\`… ${Prisma.sql\`…\`} …\`` means the same on a pool transaction as on Prisma.
 */
export function toStatement(strings: readonly string[], values: readonly unknown[]): SqlStatement {
  const out: unknown[] = [];
  let text = '';
  const append = (parts: readonly string[], vals: readonly unknown[]): void => {
    parts.forEach((part, i) => {
      text += part;
      if (i >= vals.length) return;
      const v = vals[i];
      if (isFragment(v)) append(v.strings, v.values);
      else {
        out.push(v);
        text += `$${out.length}`;
      }
    });
  };
  append(strings, values);
  return { text, values: out };
}

/**
 * Prisma's raw-SQL surface (`$queryRaw`, `$executeRaw`) over one pg connection inside a
 * transaction: code written for a Prisma interactive transaction (`tx.$queryRaw\`…\``, or a
 * prepared `Prisma.Sql`) runs unchanged without Prisma's query pipeline. Rows come back as pg
 * parses them (bigint and numeric as strings, json parsed, timestamptz as Date). A text marked
 * `/* prepared:<name> *\/` runs as a named statement, as on Prisma (libs/database client.ts).
 */
export class PoolTransactionClient {
  constructor(private readonly connection: PoolClient) {}

  async $queryRaw<T = unknown>(
    query: TemplateStringsArray | SqlStatement,
    ...values: unknown[]
  ): Promise<T> {
    const result = await this.run(query, values);
    return result.rows as T;
  }

  async $executeRaw(
    query: TemplateStringsArray | SqlStatement,
    ...values: unknown[]
  ): Promise<number> {
    const result = await this.run(query, values);
    return result.rowCount ?? 0;
  }

  private run(
    query: TemplateStringsArray | SqlStatement,
    values: unknown[],
  ): Promise<{ rows: unknown[]; rowCount: number | null }> {
    const statement = 'raw' in query ? toStatement(query, values) : query;
    const name = preparedStatementName(statement.text);
    return this.connection.query({
      text: statement.text,
      values: [...statement.values],
      ...(name ? { name } : {}),
    });
  }
}

/** What a pool transaction runs before its work. */
export interface PoolTransactionOptions {
  /**
   * Statements without parameters sent with BEGIN in one message, so the transaction starts with
   * them in one round trip instead of one each (e.g. a hot path's advisory locks: every statement
   * is a socket write and a wake-up on both sides, docs/performance.md). PostgreSQL runs them in
   * order inside the new transaction; their texts must be complete (values as escaped literals).
   */
  opening?: readonly string[];
}

/**
 * Runs `fn` in a transaction on one connection of `pool` (BEGIN … COMMIT, ROLLBACK when it
 * throws): a write hot path's transaction without Prisma's interactive-transaction machinery,
 * on the same pool (one connection budget). A connection whose ROLLBACK failed is discarded.
 */
export async function inPoolTransaction<R>(
  pool: Pool,
  fn: (tx: PoolTransactionClient) => Promise<R>,
  options: PoolTransactionOptions = {},
): Promise<R> {
  const connection = await pool.connect();
  const opening = options.opening ?? [];
  let broken: Error | undefined;
  try {
    if (opening.length === 0) {
      await connection.query('BEGIN').catch((err: unknown) => {
        broken = err instanceof Error ? err : new Error(String(err));
        throw err;
      });
    }
    try {
      // with opening statements, one failing leaves the transaction open and aborted: rolled back below
      if (opening.length > 0) await connection.query(['BEGIN', ...opening].join('; '));
      const result = await fn(new PoolTransactionClient(connection));
      await connection.query('COMMIT');
      return result;
    } catch (err) {
      await connection.query('ROLLBACK').catch((rollback: unknown) => {
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      });
      throw err;
    }
  } finally {
    connection.release(broken);
  }
}

/**
 * The raw-SQL surface both a Prisma client (or interactive transaction) and a
 * PoolTransactionClient offer: code typed against it runs on either.
 */
export interface RawSql {
  $queryRaw<T = unknown>(
    query: TemplateStringsArray | SqlStatement,
    ...values: unknown[]
  ): PromiseLike<T>;
  $executeRaw(
    query: TemplateStringsArray | SqlStatement,
    ...values: unknown[]
  ): PromiseLike<number>;
}
