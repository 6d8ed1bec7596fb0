/**
 * Many synthetic patients fast, for benches that need hundreds of thousands (the $export bench,
 * the peer bench's `--bulk` sizes): SQL `unnest` inserts of 5,000 rows straight into an identity
 * schema already migrated — patient, one official name ("Bench Pat"), one GP registration; no
 * addresses, no telecom, no version rows. NHS numbers are the valid numbers of the 999 test range
 * in order, so a schema of N patients holds the first N of them.
 */
import { completeNhsNumber } from '@trellis/nhs-number';

/** Bases 999000000–999999999; one in eleven has no valid check digit (check value 10). */
export const TEST_RANGE = { first: 999_000_000, last: 999_999_999 } as const;
/** Valid NHS numbers in the 999 test range: the most patients a bulk schema can hold. */
export const TEST_RANGE_CAPACITY = 909_091;

/** The valid NHS numbers of the 999 test range, ascending. */
export function* testRangeNhsNumbers(): Generator<string> {
  for (let base = TEST_RANGE.first; base <= TEST_RANGE.last; base++) {
    const nhs = completeNhsNumber(String(base));
    if (nhs !== undefined) yield nhs;
  }
}

export interface GpPractice {
  ods: string;
  region: string;
}

interface Queryable {
  query(text: string, values: unknown[]): Promise<unknown>;
}

const BATCH = 5_000;

/**
 * Inserts `count` patients, the i-th registered with `practices[i % practices.length]`; answers
 * how many went to each region.
 */
export async function insertBulkPatients(
  pg: Queryable,
  schema: string,
  count: number,
  practices: readonly GpPractice[],
): Promise<Record<string, number>> {
  if (count > TEST_RANGE_CAPACITY)
    throw new RangeError(
      `the 999 test range holds ${TEST_RANGE_CAPACITY} valid numbers, not ${count}`,
    );
  const numbers = testRangeNhsNumbers();
  const perRegion: Record<string, number> = {};
  for (let start = 0; start < count; start += BATCH) {
    const nhs: string[] = [];
    const ods: string[] = [];
    const region: string[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const gp = practices[i % practices.length]!;
      nhs.push(numbers.next().value as string);
      ods.push(gp.ods);
      region.push(gp.region);
      perRegion[gp.region] = (perRegion[gp.region] ?? 0) + 1;
    }
    await pg.query(
      `INSERT INTO "${schema}".patient (nhs_number, gender, birth_date, gp_ods_code, gp_region, registration_key)
       SELECT u.nhs, 'female', DATE '1970-01-01' + (u.ord % 18000)::int, u.ods, u.region, 'bench-' || u.nhs
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(nhs, ods, region, ord)`,
      [nhs, ods, region],
    );
    await pg.query(
      `INSERT INTO "${schema}".patient_name (nhs_number, position, use, family, given, prefix, family_norm, given_norm, given_canon, birth_date)
       SELECT p.nhs_number, 0, 'official', 'Bench', ARRAY['Pat'], ARRAY[]::text[], 'BENCH', 'PAT', 'PAT', p.birth_date
       FROM "${schema}".patient p WHERE p.nhs_number = ANY($1::text[])`,
      [nhs],
    );
    await pg.query(
      `INSERT INTO "${schema}".gp_registration (nhs_number, ods_code, region, period_start)
       SELECT u.nhs, u.ods, u.region, DATE '2020-01-01'
       FROM unnest($1::text[], $2::text[], $3::text[]) AS u(nhs, ods, region)`,
      [nhs, ods, region],
    );
  }
  return perRegion;
}
