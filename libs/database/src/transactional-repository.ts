// The unit of work every repository that owns its transactions shares: the rules get the
// repository bound to one transaction (and the transaction itself, for the outbox and the auditor,
// so the events commit with the change); inside a unit of work a nested one joins it.

/** Interactive-transaction limits, as Prisma's `$transaction(fn, options)` takes them. */
export interface TransactionOptions {
  maxWait?: number;
  timeout?: number;
}

/**
 * The limits of a domain platform's request transaction (booking, referrals, results): up to 10 s
 * to get a pooled connection under load, 15 s for the unit of work (Prisma's defaults are 2 s / 5 s).
 */
export const REQUEST_TRANSACTION_LIMITS: Readonly<TransactionOptions> = {
  maxWait: 10_000,
  timeout: 15_000,
};

/** A client that opens interactive transactions (a service's Prisma client); `Tx` is one of them. */
export interface TransactionRoot<Tx> {
  $transaction<R>(work: (tx: Tx) => Promise<R>, options?: TransactionOptions): Promise<R>;
}

function opensTransactions<Tx, Root extends TransactionRoot<Tx>>(db: Root | Tx): db is Root {
  return typeof db === 'object' && db !== null && '$transaction' in db;
}

/**
 * A repository over the service's client or a transaction of it. A subclass's constructor takes the
 * client first (`constructor(db) { super(db); }`), so `joining` builds one of the same class (a
 * subclass a test races with stays itself inside the transaction).
 */
export abstract class TransactionalRepository<Tx, Root extends TransactionRoot<Tx>> {
  /** Limits of the transactions this repository opens (Prisma's defaults when unset). */
  protected readonly transactionOptions?: TransactionOptions;

  constructor(protected readonly db: Root | Tx) {}

  /**
   * One unit of work in one transaction: `work` gets this repository bound to it and the
   * transaction itself; inside a unit of work (this repository already on a transaction), it joins.
   */
  inTransaction<R>(work: (repo: this, tx: Tx) => Promise<R>): Promise<R> {
    const db = this.db;
    if (!opensTransactions(db)) return work(this, db);
    return db.$transaction((tx) => work(this.joining(tx), tx), this.transactionOptions);
  }

  /** This repository inside a transaction opened elsewhere (e.g. the inbox consumer's). */
  joining(tx: Tx): this {
    const Bound = this.constructor as new (db: Tx) => this;
    return new Bound(tx);
  }
}

/**
 * The transaction a client's interactive `$transaction(work)` hands its work: for a generated Prisma
 * client, its `Prisma.TransactionClient`.
 */
export type TransactionOf<Root> = Root extends {
  $transaction(work: (tx: infer Tx) => Promise<never>, options?: TransactionOptions): unknown;
}
  ? Tx
  : never;

/**
 * A {@link TransactionalRepository} over a service's Prisma client, the transaction type read from
 * the client rather than restated: `class ReportsRepository extends PrismaRepository<PrismaClient>`.
 */
export abstract class PrismaRepository<
  Root extends TransactionRoot<TransactionOf<Root>>,
> extends TransactionalRepository<TransactionOf<Root>, Root> {}
