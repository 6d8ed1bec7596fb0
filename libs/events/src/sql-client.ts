/**
 * The part of a Prisma client (or of an interactive-transaction client) the events lib uses:
 * tagged raw SQL only. Any generated PrismaClient, and the `tx` of `$transaction(async (tx) => …)`,
 * fits. Tables are unqualified: the connection's search_path selects the service schema.
 */
export interface RawSqlClient {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

export interface TransactionOptions {
  maxWait?: number;
  timeout?: number;
  isolationLevel?: 'ReadCommitted' | 'RepeatableRead' | 'Serializable';
}

/** A Prisma client that can open interactive transactions whose client is `Tx`. */
export interface TransactionalClient<Tx extends RawSqlClient = RawSqlClient> extends RawSqlClient {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: TransactionOptions): Promise<R>;
}
