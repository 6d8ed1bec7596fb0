import {
  assertValidRange,
  NhsNumberAllocator,
  NhsNumberRangeExhaustedError,
  numberForBase,
  RawQueryClient,
} from './allocation';
import { isValidNhsNumber } from './nhs-number';

/** A stand-in for a sequence: hands out consecutive values, then NULL when exhausted. */
function sequenceClient(first: number, last: number): RawQueryClient & { calls: string[] } {
  let next = first;
  const calls: string[] = [];
  return {
    calls,
    $queryRaw<T>(query: TemplateStringsArray): PromiseLike<T> {
      const sql = query.join('?');
      calls.push(sql);
      if (sql.includes('nhs_number_range_ensure')) return Promise.resolve([{ ok: 'true' }] as T);
      const base = next > last ? null : BigInt(next++);
      return Promise.resolve([{ base }] as T);
    },
  };
}

/** sequenceClient answering a block statement with one row per draw (its count the last value). */
function blockClient(first: number, last: number): RawQueryClient & { calls: string[] } {
  const one = sequenceClient(first, last);
  return {
    calls: one.calls,
    async $queryRaw<T>(query: TemplateStringsArray, ...values: unknown[]): Promise<T> {
      if (!query.join('?').includes('generate_series')) return one.$queryRaw<T>(query, ...values);
      const rows: unknown[] = [];
      for (let i = 0; i < Number(values[values.length - 1]); i++)
        rows.push(...(await one.$queryRaw<unknown[]>(query, ...values)));
      return rows as T;
    },
  };
}

describe('NhsNumberAllocator.allocateAhead', () => {
  const range = { name: 'test', first: 999000000, last: 999000010 };

  it('draws a block in one named statement and hands its usable numbers out in order', async () => {
    const client = blockClient(range.first, range.last);
    const allocator = new NhsNumberAllocator(client, range, 4);
    const numbers = [];
    for (let i = 0; i < 6; i++) numbers.push(await allocator.allocateAhead());
    // 999000000 is skipped (check value 10); the same numbers allocate() gives, in the same order
    const one = new NhsNumberAllocator(sequenceClient(range.first, range.last), range);
    const expected = [];
    for (let i = 0; i < 6; i++) expected.push(await one.allocate());
    expect(numbers).toEqual(expected);
    const blocks = client.calls.filter((c) => c.includes('generate_series'));
    expect(blocks).toHaveLength(2 * 4); // two blocks of four draws (the stand-in counts rows)
    expect(blocks.every((c) => c.startsWith('/* prepared:nhs_number_range_block */'))).toBe(true);
  });

  it('hands out what is left of an exhausted range, then reports it exhausted', async () => {
    const allocator = new NhsNumberAllocator(blockClient(999000000, 999000002), range, 16);
    expect(await allocator.allocateAhead()).toBe('9990000018');
    expect((await allocator.allocateAhead()).slice(0, 9)).toBe('999000002');
    await expect(allocator.allocateAhead()).rejects.toBeInstanceOf(NhsNumberRangeExhaustedError);
  });
});

describe('NhsNumberAllocator', () => {
  it('skips bases whose check value is 10 and returns valid numbers in order', async () => {
    const client = sequenceClient(999000000, 999000010);
    const allocator = new NhsNumberAllocator(client, {
      name: 'test',
      first: 999000000,
      last: 999000010,
    });
    const first = await allocator.allocate();
    expect(first).toBe('9990000018'); // 999000000 is skipped (check value 10)
    const second = await allocator.allocate();
    expect(isValidNhsNumber(second)).toBe(true);
    expect(second.slice(0, 9)).toBe('999000002');
    expect(client.calls.filter((c) => c.includes('ensure'))).toHaveLength(1);
  });

  it('asks for each base with one named statement (planned once per connection)', async () => {
    const client = sequenceClient(999000000, 999000010);
    await new NhsNumberAllocator(client, {
      name: 'test',
      first: 999000000,
      last: 999000010,
    }).allocate();
    const next = client.calls.filter((c) => c.includes('nhs_number_range_next'));
    expect(next).toHaveLength(2); // 999000000 has check value 10
    expect(next.every((c) => c.startsWith('/* prepared:nhs_number_range_next */'))).toBe(true);
  });

  it('reports an exhausted range', async () => {
    const allocator = new NhsNumberAllocator(sequenceClient(999000000, 999000000), {
      name: 'tiny',
      first: 999000000,
      last: 999000000,
    });
    await expect(allocator.allocate()).rejects.toBeInstanceOf(NhsNumberRangeExhaustedError);
  });

  it('validates range definitions', () => {
    expect(() => assertValidRange({ name: 'Bad-Name', first: 999000000, last: 999000001 })).toThrow(
      RangeError,
    );
    expect(() => assertValidRange({ name: 'ok', first: 99, last: 999000001 })).toThrow(RangeError);
    expect(() => assertValidRange({ name: 'ok', first: 999000002, last: 999000001 })).toThrow(
      RangeError,
    );
    expect(() => assertValidRange({ name: 'ok', first: 999000000, last: 999999999 })).not.toThrow();
  });

  it('numberForBase pads and completes', () => {
    expect(numberForBase(999000001n)).toBe('9990000018');
    expect(numberForBase(999000000)).toBeUndefined();
  });
});
