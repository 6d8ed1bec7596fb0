import {
  PrismaRepository,
  REQUEST_TRANSACTION_LIMITS,
  TransactionalRepository,
  type TransactionOf,
  type TransactionOptions,
  type TransactionRoot,
} from './transactional-repository';

interface FakeTx {
  name: string;
}

class FakeRoot implements TransactionRoot<FakeTx> {
  readonly opened: Array<TransactionOptions | undefined> = [];
  $transaction<R>(work: (tx: FakeTx) => Promise<R>, options?: TransactionOptions): Promise<R> {
    this.opened.push(options);
    return work({ name: `tx${this.opened.length}` });
  }
}

class ThingsRepository extends TransactionalRepository<FakeTx, FakeRoot> {
  client(): FakeRoot | FakeTx {
    return this.db;
  }
}

class LimitedRepository extends ThingsRepository {
  protected override readonly transactionOptions = { maxWait: 1_000, timeout: 2_000 };
}

describe('TransactionalRepository', () => {
  it('opens one transaction and hands work a repository of the same class bound to it', async () => {
    const root = new FakeRoot();
    const repo = new ThingsRepository(root);
    const seen = await repo.inTransaction((bound, tx) =>
      Promise.resolve({ bound, tx, client: bound.client() }),
    );
    expect(root.opened).toEqual([undefined]);
    expect(seen.bound).toBeInstanceOf(ThingsRepository);
    expect(seen.bound).not.toBe(repo);
    expect(seen.tx).toEqual({ name: 'tx1' });
    expect(seen.client).toBe(seen.tx);
  });

  it('joins the transaction it is already on instead of nesting one', async () => {
    const root = new FakeRoot();
    await new ThingsRepository(root).inTransaction((outer, tx) =>
      outer.inTransaction((inner, innerTx) => {
        expect(inner).toBe(outer);
        expect(innerTx).toBe(tx);
        return Promise.resolve();
      }),
    );
    expect(root.opened).toHaveLength(1);
  });

  it("passes the subclass's transaction limits and keeps the subclass when joining", async () => {
    const root = new FakeRoot();
    const repo = new LimitedRepository(root);
    await repo.inTransaction(() => Promise.resolve());
    expect(root.opened).toEqual([{ maxWait: 1_000, timeout: 2_000 }]);
    const joined = repo.joining({ name: 'inbox' });
    expect(joined).toBeInstanceOf(LimitedRepository);
    expect(joined.client()).toEqual({ name: 'inbox' });
  });
});

describe('PrismaRepository', () => {
  class FromClient extends PrismaRepository<FakeRoot> {
    protected override readonly transactionOptions = REQUEST_TRANSACTION_LIMITS;
    name(): string | undefined {
      return 'name' in this.db ? this.db.name : undefined;
    }
  }

  it('reads the transaction type from the client: work gets the repository on that transaction', async () => {
    const root = new FakeRoot();
    const tx: TransactionOf<FakeRoot> = await new FromClient(root).inTransaction((bound, t) => {
      expect(bound).toBeInstanceOf(FromClient);
      expect(bound.name()).toBe('tx1');
      return Promise.resolve(t);
    });
    const sameType: TransactionOf<FakeRoot> = { name: 'tx1' }; // the client's FakeTx, not never
    expect(tx).toEqual(sameType);
    expect(root.opened).toEqual([{ maxWait: 10_000, timeout: 15_000 }]);
  });
});
