import {
  assertValidRange,
  NhsNumberAllocator,
  NhsNumberRangeExhaustedError,
  nextNumberSql,
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

describe('nextNumberSql', () => {
  it('draws from the named range, a second base only when the first is unusable', () => {
    const sql = nextNumberSql({ name: 'demo_999', first: 999000000, last: 999999999 });
    expect(sql.match(/nhs_number_range_next\('demo_999'\)/g)).toHaveLength(2);
    expect(sql).toContain('CASE WHEN first.base IS NOT NULL');
  });

  it('refuses a range name that is not an identifier (it is inlined)', () => {
    expect(() => nextNumberSql({ name: "x'; DROP", first: 999000000, last: 999000001 })).toThrow(
      RangeError,
    );
  });
});
