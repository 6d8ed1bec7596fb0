import type { Pool, PoolClient } from 'pg';

import { PREPARED_MARKER } from './client';
import { inPoolTransaction, PoolTransactionClient, toStatement } from './pool-transaction';

const tag = (strings: TemplateStringsArray, ...values: unknown[]) => ({ strings, values });

/** A pg connection stand-in that records what it was sent and answers `rows`. */
function fakeConnection(fail?: (text: string) => boolean) {
  const sent: Array<{ text: string; values?: unknown[]; name?: string }> = [];
  const released: Array<Error | boolean | undefined> = [];
  const connection = {
    query: async (q: string | { text: string; values?: unknown[]; name?: string }) => {
      const config = typeof q === 'string' ? { text: q } : q;
      sent.push(config);
      if (fail?.(config.text)) throw new Error(`failed: ${config.text}`);
      return { rows: [{ n: 1 }], rowCount: 1 };
    },
    release: (err?: Error | boolean) => void released.push(err),
  };
  const pool = { connect: async () => connection } as unknown as Pool;
  return { connection: connection as unknown as PoolClient, pool, sent, released };
}

describe('toStatement', () => {
  it('numbers the values and inlines nested fragments with their own values', () => {
    const inner = tag`b = ${2} AND c = ${3}`;
    const outer = tag`SELECT * FROM t WHERE a = ${1} AND ${inner} AND d = ${4}`;
    expect(toStatement(outer.strings, outer.values)).toEqual({
      text: 'SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3 AND d = $4',
      values: [1, 2, 3, 4],
    });
  });

  it('inlines a fragment without values as plain text', () => {
    const raw = { strings: ['ORDER BY x'], values: [] };
    const q = tag`SELECT ${'v'} ${raw}`;
    expect(toStatement(q.strings, q.values)).toEqual({
      text: 'SELECT $1 ORDER BY x',
      values: ['v'],
    });
  });
});

describe('PoolTransactionClient', () => {
  it('runs a tagged template and a prepared statement object, naming marked texts', async () => {
    const { connection, sent } = fakeConnection();
    const tx = new PoolTransactionClient(connection);
    const rows = await tx.$queryRaw<Array<{ n: number }>>`SELECT ${5}::int AS n`;
    expect(rows).toEqual([{ n: 1 }]);
    const count = await tx.$executeRaw({
      text: `${PREPARED_MARKER}pool_tx_spec */ UPDATE t SET a = $1`,
      values: ['x'],
    });
    expect(count).toBe(1);
    expect(sent[0]).toEqual({ text: 'SELECT $1::int AS n', values: [5] });
    expect(sent[1]?.name).toMatch(/^pool_tx_spec_\d+$/);
  });
});

describe('inPoolTransaction', () => {
  it('commits what the work did and releases the connection healthy', async () => {
    const { pool, sent, released } = fakeConnection();
    const result = await inPoolTransaction(pool, async (tx) => {
      await tx.$queryRaw`INSERT INTO t VALUES (${1})`;
      return 'done';
    });
    expect(result).toBe('done');
    expect(sent.map((s) => s.text)).toEqual(['BEGIN', 'INSERT INTO t VALUES ($1)', 'COMMIT']);
    expect(released).toEqual([undefined]);
  });

  it('rolls back and rethrows when the work throws', async () => {
    const { pool, sent, released } = fakeConnection();
    await expect(
      inPoolTransaction(pool, async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(sent.map((s) => s.text)).toEqual(['BEGIN', 'ROLLBACK']);
    expect(released).toEqual([undefined]);
  });

  it('sends the opening statements with BEGIN in one message, before the work', async () => {
    const { pool, sent, released } = fakeConnection();
    await inPoolTransaction(pool, (tx) => tx.$queryRaw`SELECT ${1}`, {
      opening: ['SELECT pg_advisory_xact_lock(1)', 'SELECT pg_advisory_xact_lock(2)'],
    });
    expect(sent.map((s) => s.text)).toEqual([
      'BEGIN; SELECT pg_advisory_xact_lock(1); SELECT pg_advisory_xact_lock(2)',
      'SELECT $1',
      'COMMIT',
    ]);
    expect(released).toEqual([undefined]);
  });

  it('rolls back when an opening statement fails (the transaction is open and aborted)', async () => {
    const { pool, sent, released } = fakeConnection((text) => text.startsWith('BEGIN;'));
    const work = jest.fn();
    await expect(
      inPoolTransaction(pool, work, { opening: ['SELECT pg_advisory_xact_lock(1)'] }),
    ).rejects.toThrow('failed: BEGIN;');
    expect(work).not.toHaveBeenCalled();
    expect(sent.map((s) => s.text)).toEqual(['BEGIN; SELECT pg_advisory_xact_lock(1)', 'ROLLBACK']);
    expect(released).toEqual([undefined]);
  });

  it('discards a connection whose rollback failed', async () => {
    const { pool, released } = fakeConnection((text) => text !== 'BEGIN');
    await expect(inPoolTransaction(pool, (tx) => tx.$queryRaw`SELECT 1`)).rejects.toThrow(
      'failed: SELECT 1',
    );
    expect(released[0]).toBeInstanceOf(Error);
  });
});
