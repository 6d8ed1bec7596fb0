import { completeNhsNumber } from './nhs-number';

/**
 * Allocation of new NHS numbers from a configured range of nine-digit bases.
 *
 * Each range is backed by a PostgreSQL SEQUENCE (created by `nhs_number_range_ensure`, see
 * NHS_NUMBER_ALLOCATION_SQL, which a service includes in its migrations). `nextval` is
 * non-transactional: a value handed out is never handed out again, even if the transaction that
 * asked for it rolls back, and concurrent callers never get the same value. Bases whose check
 * value is 10 are skipped.
 */

export interface NhsNumberRange {
  /** short identifier, [a-z0-9_], e.g. "demo_999" */
  name: string;
  /** first nine-digit base, inclusive, e.g. 999000000 */
  first: number;
  /** last nine-digit base, inclusive, e.g. 999999999 */
  last: number;
}

/** The subset of a Prisma client (or transaction) the allocator needs. */
export interface RawQueryClient {
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

export class NhsNumberRangeExhaustedError extends Error {
  constructor(readonly range: string) {
    super(`NHS number range "${range}" is exhausted`);
    this.name = 'NhsNumberRangeExhaustedError';
  }
}

export function assertValidRange(range: NhsNumberRange): void {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(range.name)) {
    throw new RangeError(`range name "${range.name}" must match [a-z][a-z0-9_]{0,40}`);
  }
  for (const [k, v] of [
    ['first', range.first],
    ['last', range.last],
  ] as const) {
    if (!Number.isInteger(v) || v < 100000000 || v > 999999999) {
      throw new RangeError(`range ${k} must be a nine-digit integer, got ${v}`);
    }
  }
  if (range.first > range.last) {
    throw new RangeError(`range first (${range.first}) is after last (${range.last})`);
  }
}

/** Turns a sequence value into a number, or undefined when its check value is 10 (skip it). */
export function numberForBase(base: number | bigint): string | undefined {
  return completeNhsNumber(String(base).padStart(9, '0'));
}

/** Bases drawn per statement by allocateAhead. */
const AHEAD_BLOCK = 16;

export class NhsNumberAllocator {
  private ensured = false;
  /** Numbers drawn ahead and not yet taken, in the order drawn. */
  private readonly ahead: string[] = [];

  /** True once ensureRange has run: the range's sequence exists (statements may draw from it). */
  get rangeEnsured(): boolean {
    return this.ensured;
  }

  constructor(
    private readonly client: RawQueryClient,
    readonly range: NhsNumberRange,
    private readonly aheadBlock = AHEAD_BLOCK,
  ) {
    assertValidRange(range);
  }

  /**
   * Creates the range's sequence when missing; refuses a changed definition of an existing range.
   * Runs on the allocator's own client (autocommit), so a rolled-back caller transaction can never
   * undo it. Services call it once at start-up.
   */
  async ensureRange(): Promise<void> {
    if (this.ensured) return;
    const { name, first, last } = this.range;
    await this.client
      .$queryRaw`SELECT nhs_number_range_ensure(${name}, ${first}::bigint, ${last}::bigint)::text AS ok`;
    this.ensured = true;
  }

  /**
   * The next valid NHS number from those this allocator drew ahead: when none is left it draws a
   * block of bases in one statement (`aheadBlock` calls of nhs_number_range_next, in order, on
   * `client`'s connection), keeps the usable ones in order and hands them out one per call. So a
   * caller knows its number before it writes (registration writes the patient, its version and
   * its event in one statement) at one round trip per block. Same guarantees as allocate: a number
   * is handed out once, never reused; numbers drawn and not handed out when the process stops are
   * lost, like those of a rolled-back transaction. NhsNumberRangeExhaustedError once none is left
   * and the range gives no base.
   */
  async allocateAhead(client: RawQueryClient = this.client): Promise<string> {
    for (;;) {
      const next = this.ahead.shift();
      if (next !== undefined) return next;
      await this.ensureRange();
      const rows = await client.$queryRaw<
        Array<{ base: bigint | number | string | null }>
      >`/* prepared:nhs_number_range_block */
        SELECT nhs_number_range_next(${this.range.name}) AS base
        FROM generate_series(1, ${this.aheadBlock}::int)`;
      let exhausted = rows.length === 0;
      for (const { base } of rows) {
        if (base === null) exhausted = true;
        else {
          const nhs = numberForBase(BigInt(base));
          if (nhs !== undefined) this.ahead.push(nhs);
        }
      }
      // another caller may have taken this block's numbers meanwhile: draw again unless exhausted
      if (this.ahead.length === 0 && exhausted)
        throw new NhsNumberRangeExhaustedError(this.range.name);
    }
  }

  /**
   * Allocates the next valid NHS number from the range. Pass the caller's transaction client to
   * use its connection (the number is consumed even if that transaction rolls back: never reused).
   */
  async allocate(client: RawQueryClient = this.client): Promise<string> {
    await this.ensureRange();
    // at most 1 in 11 bases is unusable, so a handful of attempts always suffices
    for (let attempt = 0; attempt < 32; attempt++) {
      // a named statement (libs/database's `prepared:` marker; a comment to any other client):
      // unnamed, PostgreSQL parsed and planned the call every time, ≈ 110 µs of its CPU against
      // ≈ 65 µs named (docs/performance.md, "Hot paths: create, second pass")
      const rows = await client.$queryRaw<
        Array<{ base: bigint | number | string | null }>
      >`/* prepared:nhs_number_range_next */
        SELECT nhs_number_range_next(${this.range.name}) AS base`;
      const base = rows[0]?.base;
      if (base === null || base === undefined)
        throw new NhsNumberRangeExhaustedError(this.range.name);
      const nhs = numberForBase(BigInt(base));
      if (nhs !== undefined) return nhs;
    }
    throw new NhsNumberRangeExhaustedError(this.range.name);
  }
}

/**
 * Functions a service adds to one of its migrations (unqualified: they land in the service schema),
 * next to a table it declares itself (Prisma model `NhsNumberRange`):
 *
 *   nhs_number_range(name TEXT PRIMARY KEY, first_base BIGINT, last_base BIGINT,
 *                    sequence_name TEXT, created_at TIMESTAMPTZ DEFAULT now())
 *
 * The sequence name is derived from the validated range name, so no identifier ever comes from a
 * request, and it is stored schema-qualified so nextval() never depends on the search_path.
 */
export const NHS_NUMBER_ALLOCATION_SQL = `
CREATE OR REPLACE FUNCTION nhs_number_range_ensure(p_name TEXT, p_first BIGINT, p_last BIGINT)
RETURNS BOOLEAN LANGUAGE plpgsql AS $fn$
DECLARE
  v_existing nhs_number_range%ROWTYPE;
  v_seq TEXT := 'nhs_number_seq_' || p_name;
  v_qualified TEXT;
BEGIN
  IF p_name !~ '^[a-z][a-z0-9_]{0,40}$' THEN
    RAISE EXCEPTION 'invalid NHS number range name %', p_name USING ERRCODE = '22023';
  END IF;
  SELECT * INTO v_existing FROM nhs_number_range WHERE name = p_name;
  IF FOUND THEN
    IF v_existing.first_base <> p_first OR v_existing.last_base <> p_last THEN
      RAISE EXCEPTION 'NHS number range % already defined as %..%', p_name, v_existing.first_base, v_existing.last_base
        USING ERRCODE = '22023';
    END IF;
    RETURN FALSE;
  END IF;
  -- serialise concurrent first-time creation of the same range
  PERFORM pg_advisory_xact_lock(hashtext('nhs_number_range:' || p_name));
  IF EXISTS (SELECT 1 FROM nhs_number_range WHERE name = p_name) THEN
    RETURN FALSE;
  END IF;
  EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I AS BIGINT MINVALUE %s MAXVALUE %s START %s NO CYCLE CACHE 1',
                 v_seq, p_first, p_last, p_first);
  v_qualified := format('%I.%I', current_schema(), v_seq);
  INSERT INTO nhs_number_range (name, first_base, last_base, sequence_name) VALUES (p_name, p_first, p_last, v_qualified);
  RETURN TRUE;
END
$fn$;

CREATE OR REPLACE FUNCTION nhs_number_range_next(p_name TEXT)
RETURNS BIGINT LANGUAGE plpgsql AS $fn$
DECLARE
  v_seq TEXT;
BEGIN
  SELECT sequence_name INTO v_seq FROM nhs_number_range WHERE name = p_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown NHS number range %', p_name USING ERRCODE = '22023';
  END IF;
  RETURN nextval(v_seq::regclass);
EXCEPTION
  WHEN sequence_generator_limit_exceeded THEN
    RETURN NULL;
END
$fn$;
`;
