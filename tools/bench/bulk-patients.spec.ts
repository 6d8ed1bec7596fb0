import { isValidNhsNumber } from '@trellis/nhs-number';

import { TEST_RANGE_CAPACITY, insertBulkPatients, testRangeNhsNumbers } from './bulk-patients';

describe('testRangeNhsNumbers', () => {
  it('yields every valid number of the 999 test range once, ascending', () => {
    let count = 0;
    let previous = '';
    let allValid = true;
    for (const nhs of testRangeNhsNumbers()) {
      allValid &&= isValidNhsNumber(nhs) && nhs.startsWith('999') && nhs > previous;
      previous = nhs;
      count++;
    }
    expect(allValid).toBe(true);
    expect(count).toBe(TEST_RANGE_CAPACITY);
  });

  it('skips a base whose check value is 10 (999000000 has none)', () => {
    const first = testRangeNhsNumbers().next().value;
    expect(first).toBe('9990000018');
  });
});

describe('insertBulkPatients', () => {
  const recorder = () => {
    const calls: Array<{ text: string; values: unknown[] }> = [];
    return {
      calls,
      query: (text: string, values: unknown[]) => {
        calls.push({ text, values });
        return Promise.resolve();
      },
    };
  };
  const practices = [
    { ods: 'A81001', region: 'north-east' },
    { ods: 'E81001', region: 'london' },
  ];

  it('inserts in batches of 5,000 (patient, name, GP registration) and counts per region', async () => {
    const pg = recorder();
    const perRegion = await insertBulkPatients(pg, 'bench_schema', 12_001, practices);
    expect(perRegion).toEqual({ 'north-east': 6_001, london: 6_000 });
    expect(pg.calls).toHaveLength(9);
    const patientBatches = pg.calls.filter((c) => c.text.includes('"bench_schema".patient ('));
    expect(patientBatches.map((c) => (c.values[0] as string[]).length)).toEqual([5000, 5000, 2001]);
    const numbers = patientBatches.flatMap((c) => c.values[0] as string[]);
    expect(new Set(numbers).size).toBe(12_001);
    expect(numbers.slice(0, 3)).toEqual([...testRangeNhsNumbers()].slice(0, 3));
    expect((patientBatches[0]!.values[1] as string[]).slice(0, 2)).toEqual(['A81001', 'E81001']);
  });

  it('refuses more patients than the test range holds', async () => {
    const pg = recorder();
    await expect(
      insertBulkPatients(pg, 'bench_schema', TEST_RANGE_CAPACITY + 1, practices),
    ).rejects.toThrow(RangeError);
    expect(pg.calls).toHaveLength(0);
  });
});
