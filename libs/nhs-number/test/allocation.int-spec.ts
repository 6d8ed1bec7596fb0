import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import {
  NHS_NUMBER_ALLOCATION_SQL,
  NhsNumberAllocator,
  NhsNumberRangeExhaustedError,
  numberForBase,
  type RawQueryClient,
} from '../src/allocation';
import { checkDigit, isValidNhsNumber } from '../src/nhs-number';

/** A RawQueryClient over a pg pool (what a Prisma client provides in services). */
function rawClient(pool: Pool): RawQueryClient {
  return {
    async $queryRaw<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T> {
      const text = strings.reduce((acc, s, i) => acc + (i > 0 ? `$${i}` : '') + s, '');
      return (await pool.query(text, values)).rows as T;
    },
  };
}

describe('NHS number allocation on PostgreSQL', () => {
  // (no @trellis/testing here: it depends on this lib; jest's globalSetup loads .trellis/infra.env)
  const schema = `nhs_number_t${randomBytes(5).toString('hex')}`;
  let pool: Pool;

  beforeAll(async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set (run through jest.int.config.cjs)');
    pool = new Pool({
      connectionString: url,
      max: 12,
      options: `-c search_path=${schema},public`,
    });
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE nhs_number_range (name TEXT PRIMARY KEY, first_base BIGINT NOT NULL, last_base BIGINT NOT NULL,
      sequence_name TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    await pool.query(NHS_NUMBER_ALLOCATION_SQL);
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('hands out unique valid numbers to 300 concurrent callers, skipping check value 10', async () => {
    const allocator = new NhsNumberAllocator(rawClient(pool), {
      name: 'conc',
      first: 999000000,
      last: 999099999,
    });
    await allocator.ensureRange();
    const numbers = await Promise.all(Array.from({ length: 300 }, () => allocator.allocate()));
    expect(new Set(numbers).size).toBe(300);
    for (const n of numbers) expect(isValidNhsNumber(n)).toBe(true);
    // 999000000 has check value 10: it was consumed and skipped, never handed out
    expect(numbers).not.toContain('9990000000');
    const bases = numbers.map((n) => Number(n.slice(0, 9))).sort((a, b) => a - b);
    const max = bases[bases.length - 1]!;
    const skipped = Array.from({ length: max - 999000000 + 1 }, (_, i) => 999000000 + i).filter(
      (b) => !bases.includes(b),
    );
    for (const b of skipped) expect(checkDigit(String(b))).toBeUndefined();
  });

  it('never reuses a number, even when the allocating transaction rolls back', async () => {
    const allocator = new NhsNumberAllocator(rawClient(pool), {
      name: 'rollback',
      first: 999200000,
      last: 999200999,
    });
    await allocator.ensureRange();
    const client = await pool.connect();
    let rolledBack: string;
    try {
      await client.query('BEGIN');
      rolledBack = await allocator.allocate({
        async $queryRaw<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T> {
          const text = strings.reduce((acc, s, i) => acc + (i > 0 ? `$${i}` : '') + s, '');
          return (await client.query(text, values)).rows as T;
        },
      });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const next = await allocator.allocate();
    expect(next).not.toBe(rolledBack);
    expect(Number(next.slice(0, 9))).toBeGreaterThan(Number(rolledBack.slice(0, 9)));
  });

  it('allocateAhead hands out every usable base once, in order, in blocks, then reports exhaustion', async () => {
    const range = { name: 'ahead', first: 999000000, last: 999000030 };
    const allocator = new NhsNumberAllocator(rawClient(pool), range, 8);
    const numbers: string[] = [];
    let refusal: unknown;
    while (refusal === undefined) {
      await allocator.allocateAhead().then(
        (n) => numbers.push(n),
        (err: unknown) => (refusal = err),
      );
    }
    // every usable base of the 31 handed out once, in order; unusable ones (999000000 first) skipped
    const usable = Array.from({ length: 31 }, (_, i) => numberForBase(999000000 + i)).filter(
      (n): n is string => n !== undefined,
    );
    expect(numbers).toEqual(usable);
    expect(refusal).toBeInstanceOf(NhsNumberRangeExhaustedError);
  });

  it('allocateAhead in two processes (replicas) never hands a number out twice', async () => {
    const range = { name: 'ahead_two', first: 999100000, last: 999199999 };
    const replicas = [
      new NhsNumberAllocator(rawClient(pool), range),
      new NhsNumberAllocator(rawClient(pool), range),
    ];
    const numbers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => replicas[i % 2]!.allocateAhead()),
    );
    expect(new Set(numbers).size).toBe(300);
    for (const n of numbers) expect(isValidNhsNumber(n)).toBe(true);
  });

  it('reports an exhausted range and refuses a changed range definition', async () => {
    const tiny = new NhsNumberAllocator(rawClient(pool), {
      name: 'tiny',
      first: 999300001,
      last: 999300002,
    });
    await tiny.ensureRange();
    await tiny.allocate();
    await tiny.allocate().catch(() => undefined); // the second base may be unusable
    await expect(async () => {
      for (let i = 0; i < 3; i++) await tiny.allocate();
    }).rejects.toBeInstanceOf(NhsNumberRangeExhaustedError);
    const changed = new NhsNumberAllocator(rawClient(pool), {
      name: 'tiny',
      first: 999300001,
      last: 999300009,
    });
    await expect(changed.ensureRange()).rejects.toThrow(/already defined/);
  });
});
