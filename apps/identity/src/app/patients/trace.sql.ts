import { Prisma } from '../../generated/prisma/client';
import {
  canonicalGiven,
  familyNameParts,
  normaliseName,
  normalisePostcode,
  swappedDayMonth,
} from './normalise';
import type { TraceQuery } from './patient.model';

/**
 * Trace runs entirely in PostgreSQL: index-driven candidate branches (each capped), then scoring
 * of that small candidate set with pg_trgm similarity, fuzzystrmatch dmetaphone/levenshtein,
 * nickname folding (given_canon), transposed day/month, partial postcodes and historic names and
 * addresses. Node receives only the ordered, capped hits.
 *
 * Score = Σ wᵢ·sᵢ / Σ wᵢ over the fields the caller supplied (so 1 = all supplied fields exact).
 */
export const WEIGHTS = {
  family: 0.3,
  given: 0.2,
  birthDate: 0.3,
  gender: 0.1,
  postcode: 0.1,
  gp: 0.1,
} as const;

/** Per-branch candidate cap: bounds the work per trace whatever the data. */
const BRANCH_LIMIT = 500;

export interface TraceTerms {
  fam: string;
  famParts: string[];
  giv: string;
  givCanon: string;
  dates: string[]; // exact birth date and its day/month swap
  from?: string;
  to?: string;
  gender?: string;
  pc: string;
  pcFull: boolean;
  pcOut: string;
  gp: string;
  exact: boolean;
  /** postcode-only / GP-only traces never return restricted patients */
  excludeRestricted: boolean;
  /** restricted patients' postcode and GP are neither scored nor reported (see TraceQuery) */
  maskRestricted: boolean;
}

export function traceTerms(q: TraceQuery): TraceTerms {
  const fam = normaliseName(q.family);
  const giv = normaliseName(q.given?.trim().split(/\s+/)[0] ?? '');
  const dates: string[] = [];
  if (q.birthDate) {
    dates.push(q.birthDate);
    const swapped = swappedDayMonth(q.birthDate);
    if (swapped && q.mode === 'fuzzy') dates.push(swapped);
  }
  const pc = q.postcode ? normalisePostcode(q.postcode) : { norm: '', full: false, outward: '' };
  const hasPersonCriteria =
    fam !== '' || giv !== '' || dates.length > 0 || !!q.birthDateFrom || !!q.birthDateTo;
  return {
    fam,
    famParts: familyNameParts(q.family),
    giv,
    givCanon: giv ? canonicalGiven(giv) : '',
    dates,
    from: q.birthDateFrom || undefined,
    to: q.birthDateTo || undefined,
    gender: q.gender,
    pc: pc.norm,
    pcFull: pc.full,
    pcOut: pc.outward,
    gp: q.gpOdsCode?.trim().toUpperCase() ?? '',
    exact: q.mode === 'exact',
    excludeRestricted: !hasPersonCriteria,
    maskRestricted: q.maskRestricted === true,
  };
}

/** The stored family name split into its parts, the same way familyNameParts() splits the query. */
const SPLIT = Prisma.sql`array_remove(regexp_split_to_array(upper(replace(n.family, '''', '')), '[^A-Z]+'), '')`;

/**
 * Adjacent transposition ("GAREHT" for "GARETH"): same length, same letters, Levenshtein 2 —
 * one slip of the fingers, which plain Levenshtein counts as two edits.
 */
function sameLetters(column: Prisma.Sql, term: string): Prisma.Sql {
  const sorted = [...term].sort().join('');
  return Prisma.sql`(length(${column}) = ${term.length}::int AND levenshtein(${column}, ${term}) = 2
    AND (SELECT string_agg(ch, '' ORDER BY ch COLLATE "C") FROM regexp_split_to_table(${column}, '') AS ch) = ${sorted})`;
}

const date = (v: string) => Prisma.sql`${v}::date`;

function candidateBranches(t: TraceTerms): Prisma.Sql[] {
  const b: Prisma.Sql[] = [];
  const hasRange = !!(t.from || t.to);
  const rangeFilter = hasRange
    ? Prisma.sql`AND birth_date BETWEEN ${date(t.from ?? '0001-01-01')} AND ${date(t.to ?? '9999-12-31')}`
    : Prisma.empty;

  if (t.exact) {
    if (t.fam && t.dates.length) {
      b.push(Prisma.sql`SELECT nhs_number FROM patient_name
        WHERE active AND family_norm = ${t.fam} AND birth_date = ${date(t.dates[0]!)} LIMIT ${BRANCH_LIMIT}`);
    } else if (t.fam) {
      b.push(Prisma.sql`SELECT nhs_number FROM patient_name
        WHERE active AND family_norm = ${t.fam} ${rangeFilter} LIMIT ${BRANCH_LIMIT}`);
    } else if (t.dates.length) {
      b.push(Prisma.sql`SELECT nhs_number FROM patient_name
        WHERE active AND birth_date = ${date(t.dates[0]!)} LIMIT ${BRANCH_LIMIT}`);
    } else if (hasRange) {
      b.push(
        Prisma.sql`SELECT nhs_number FROM patient_name WHERE active ${rangeFilter} LIMIT ${BRANCH_LIMIT}`,
      );
    }
  } else {
    if (t.dates.length) {
      // every record born on the date or its day/month swap (tens of rows per date nationally)
      b.push(Prisma.sql`SELECT nhs_number FROM patient_name
        WHERE active AND birth_date = ANY(${t.dates}::date[]) LIMIT ${BRANCH_LIMIT * 4}`);
    }
    if (t.fam) {
      // birth date typos: phonetic family + given within a window around the supplied date
      const window = t.dates.length
        ? Prisma.sql`AND birth_date BETWEEN (${date(t.dates[0]!)} - interval '2 years')::date AND (${date(t.dates[0]!)} + interval '2 years')::date`
        : rangeFilter;
      if (t.giv) {
        b.push(Prisma.sql`SELECT nhs_number FROM patient_name
          WHERE active AND dmetaphone(family_norm) = dmetaphone(${t.fam}) AND dmetaphone(given_norm) = dmetaphone(${t.giv})
          ${window} LIMIT ${BRANCH_LIMIT}`);
        b.push(Prisma.sql`SELECT nhs_number FROM patient_name
          WHERE active AND dmetaphone(family_norm) = dmetaphone(${t.fam}) AND given_canon = ${t.givCanon}
          ${window} LIMIT ${BRANCH_LIMIT}`);
      }
      if (!t.dates.length) {
        // no exact birth date: trigram (typos, double-barrelled parts) and phonetic family
        b.push(Prisma.sql`SELECT nhs_number FROM patient_name
          WHERE active AND family_norm % ${t.fam} ${rangeFilter} LIMIT ${BRANCH_LIMIT}`);
        b.push(Prisma.sql`SELECT nhs_number FROM patient_name
          WHERE active AND dmetaphone(family_norm) = dmetaphone(${t.fam}) ${rangeFilter} LIMIT ${BRANCH_LIMIT}`);
        for (const part of t.famParts.length > 1 ? t.famParts : []) {
          b.push(Prisma.sql`SELECT nhs_number FROM patient_name
            WHERE active AND family_norm = ${part} ${rangeFilter} LIMIT ${BRANCH_LIMIT}`);
        }
      }
    } else if (hasRange && !t.dates.length) {
      b.push(
        Prisma.sql`SELECT nhs_number FROM patient_name WHERE active ${rangeFilter} LIMIT ${BRANCH_LIMIT}`,
      );
    }
  }
  const hasPerson = t.fam !== '' || t.dates.length > 0 || hasRange;
  if (t.pc && !hasPerson) {
    b.push(
      t.pcFull
        ? Prisma.sql`SELECT nhs_number FROM patient_address WHERE active AND postcode_norm = ${t.pc} LIMIT ${BRANCH_LIMIT}`
        : Prisma.sql`SELECT nhs_number FROM patient_address
            WHERE active AND postcode_norm LIKE ${t.pc + '%'} LIMIT ${BRANCH_LIMIT}`,
    );
  }
  if (t.gp && !hasPerson && !t.pc) {
    b.push(Prisma.sql`SELECT nhs_number FROM patient
      WHERE merged_into IS NULL AND gp_ods_code = ${t.gp} LIMIT ${BRANCH_LIMIT}`);
  }
  return b;
}

export interface TraceRow {
  nhs_number: string;
  score: number;
  s_family: number | null;
  s_given: number | null;
  s_birth: number | null;
  s_gender: number | null;
  s_postcode: number | null;
  s_gp: number | null;
  how_family: string | null;
  how_given: string | null;
  how_birth: string | null;
  how_postcode: string | null;
  total: bigint | number;
}

/** The whole trace as one statement; returns undefined when there is nothing to search by. */
export function traceSql(
  t: TraceTerms,
  minScore: number,
  limit: number,
  margin = 1,
): Prisma.Sql | undefined {
  const branches = candidateBranches(t);
  if (branches.length === 0) return undefined;
  const union = Prisma.join(
    branches.map((s) => Prisma.sql`(${s})`),
    ' UNION ',
  );
  const hasFam = t.fam !== '';
  const hasGiv = t.giv !== '';
  const hasDob = t.dates.length > 0 || !!t.from || !!t.to;
  const hasGender = !!t.gender;
  const hasPc = t.pc !== '';
  const hasGp = t.gp !== '';
  const denominator =
    (hasFam ? WEIGHTS.family : 0) +
    (hasGiv ? WEIGHTS.given : 0) +
    (hasDob ? WEIGHTS.birthDate : 0) +
    (hasGender ? WEIGHTS.gender : 0) +
    (hasPc ? WEIGHTS.postcode : 0) +
    (hasGp ? WEIGHTS.gp : 0);

  // name components (per name row; the best name of the patient is kept)
  const famScore = !hasFam
    ? Prisma.sql`NULL::float8`
    : t.exact
      ? Prisma.sql`(CASE WHEN n.family_norm = ${t.fam} THEN 1.0 ELSE 0.0 END)::float8`
      : Prisma.sql`(CASE
          WHEN n.family_norm = ${t.fam} THEN 1.0
          WHEN cardinality(${t.famParts}::text[]) > 0
               AND (${SPLIT} @> ${t.famParts}::text[] OR ${SPLIT} <@ ${t.famParts}::text[]) THEN 0.9
          ELSE GREATEST(
            similarity(n.family_norm, ${t.fam}),
            CASE WHEN dmetaphone(n.family_norm) = dmetaphone(${t.fam})
                  AND levenshtein(n.family_norm, ${t.fam}) <= GREATEST(2, length(${t.fam}) / 3) THEN 0.85 ELSE 0 END,
            CASE WHEN ${sameLetters(Prisma.sql`n.family_norm`, t.fam)} THEN 0.85 ELSE 0 END,
            1.0 - levenshtein(n.family_norm, ${t.fam})::float8 / GREATEST(length(n.family_norm), length(${t.fam}), 1) - 0.1)
        END)::float8`;
  const famHow = !hasFam
    ? Prisma.sql`NULL::text`
    : Prisma.sql`(CASE
        WHEN n.family_norm = ${t.fam} THEN 'exact'
        WHEN cardinality(${t.famParts}::text[]) > 0
             AND (${SPLIT} @> ${t.famParts}::text[] OR ${SPLIT} <@ ${t.famParts}::text[]) THEN 'part'
        WHEN dmetaphone(n.family_norm) = dmetaphone(${t.fam})
             AND levenshtein(n.family_norm, ${t.fam}) <= GREATEST(2, length(${t.fam}) / 3) THEN 'phonetic'
        WHEN ${sameLetters(Prisma.sql`n.family_norm`, t.fam)} THEN 'transposed'
        ELSE 'similar' END)
        || CASE WHEN n.period_end IS NOT NULL OR n.use IN ('old', 'maiden') THEN ':historic' ELSE '' END`;
  const givScore = !hasGiv
    ? Prisma.sql`NULL::float8`
    : t.exact
      ? Prisma.sql`(CASE WHEN n.given_norm = ${t.giv} THEN 1.0 ELSE 0.0 END)::float8`
      : Prisma.sql`(CASE
          WHEN n.given_norm = ${t.giv} THEN 1.0
          WHEN n.given_canon = ${t.givCanon} THEN 0.9
          WHEN length(${t.giv}) = 1 AND left(n.given_norm, 1) = ${t.giv} THEN 0.7
          WHEN ${t.giv} = ANY(regexp_split_to_array(upper(array_to_string(n.given, ' ')), '[^A-Z]+')) THEN 0.8
          ELSE GREATEST(
            similarity(n.given_norm, ${t.giv}) - 0.1,
            CASE WHEN dmetaphone(n.given_norm) = dmetaphone(${t.giv})
                  AND levenshtein(n.given_norm, ${t.giv}) <= GREATEST(2, length(${t.giv}) / 3) THEN 0.75 ELSE 0 END,
            CASE WHEN ${sameLetters(Prisma.sql`n.given_norm`, t.giv)} THEN 0.75 ELSE 0 END,
            1.0 - levenshtein(n.given_norm, ${t.giv})::float8 / GREATEST(length(n.given_norm), length(${t.giv}), 1) - 0.15)
        END)::float8`;
  const givHow = !hasGiv
    ? Prisma.sql`NULL::text`
    : Prisma.sql`CASE
        WHEN n.given_norm = ${t.giv} THEN 'exact'
        WHEN n.given_canon = ${t.givCanon} THEN 'nickname'
        WHEN dmetaphone(n.given_norm) = dmetaphone(${t.giv})
             AND levenshtein(n.given_norm, ${t.giv}) <= GREATEST(2, length(${t.giv}) / 3) THEN 'phonetic'
        WHEN ${sameLetters(Prisma.sql`n.given_norm`, t.giv)} THEN 'transposed'
        ELSE 'similar' END`;

  // birth date
  let birthScore: Prisma.Sql = Prisma.sql`NULL::float8`;
  let birthHow: Prisma.Sql = Prisma.sql`NULL::text`;
  if (t.from || t.to) {
    const inRange = Prisma.sql`p.birth_date BETWEEN ${date(t.from ?? '0001-01-01')} AND ${date(t.to ?? '9999-12-31')}`;
    birthScore = Prisma.sql`(CASE WHEN ${inRange} THEN 1.0 ELSE 0.0 END)::float8`;
    birthHow = Prisma.sql`CASE WHEN ${inRange} THEN 'range' END`;
  } else if (t.dates.length) {
    const bd = t.dates[0]!;
    const swap = t.dates[1] ?? bd;
    const digits = bd.replace(/-/g, '');
    birthScore = t.exact
      ? Prisma.sql`(CASE WHEN p.birth_date = ${date(bd)} THEN 1.0 ELSE 0.0 END)::float8`
      : Prisma.sql`(CASE
          WHEN p.birth_date = ${date(bd)} THEN 1.0
          WHEN p.birth_date = ${date(swap)} THEN 0.85
          WHEN levenshtein(to_char(p.birth_date, 'YYYYMMDD'), ${digits}) = 1 THEN 0.6
          ELSE 0.0 END)::float8`;
    birthHow = Prisma.sql`CASE
        WHEN p.birth_date = ${date(bd)} THEN 'exact'
        WHEN p.birth_date = ${date(swap)} THEN 'transposed'
        WHEN levenshtein(to_char(p.birth_date, 'YYYYMMDD'), ${digits}) = 1 THEN 'one-digit' END`;
  }

  const genderScore = hasGender
    ? Prisma.sql`(CASE WHEN p.gender::text = ${t.gender} THEN 1.0 WHEN p.gender = 'unknown' THEN 0.5 ELSE 0.0 END)::float8`
    : Prisma.sql`NULL::float8`;

  // postcode over all addresses, current and historic
  const pcScore = !hasPc
    ? Prisma.sql`NULL::float8`
    : t.pcFull
      ? t.exact
        ? Prisma.sql`(CASE WHEN a.postcode_norm = ${t.pc} THEN 1.0 ELSE 0.0 END)::float8`
        : Prisma.sql`(CASE WHEN a.postcode_norm = ${t.pc} THEN 1.0
                         WHEN a.postcode_out = ${t.pcOut} THEN 0.5 ELSE 0.0 END)::float8`
      : Prisma.sql`(CASE WHEN a.postcode_norm LIKE ${t.pc + '%'} THEN 1.0 ELSE 0.0 END)::float8`;
  const pcHow = !hasPc
    ? Prisma.sql`NULL::text`
    : Prisma.sql`(CASE WHEN a.postcode_norm = ${t.pc} THEN 'exact'
                      WHEN a.postcode_norm LIKE ${t.pc + '%'} THEN 'partial'
                      WHEN a.postcode_out = ${t.pcOut} THEN 'district' END)
                 || CASE WHEN a.period_end IS NOT NULL OR a.use = 'old' THEN ':historic' ELSE '' END`;

  const gpScore = hasGp
    ? Prisma.sql`(CASE WHEN p.gp_ods_code = ${t.gp} THEN 1.0 ELSE 0.0 END)::float8`
    : Prisma.sql`NULL::float8`;

  const masked = t.maskRestricted
    ? Prisma.sql`p.confidentiality = 'restricted'`
    : Prisma.sql`false`;
  const restricted = t.excludeRestricted
    ? Prisma.sql`AND p.confidentiality <> 'restricted'`
    : Prisma.empty;
  const threshold = t.exact ? Math.max(minScore, 0.9999) : minScore;

  return Prisma.sql`
    WITH cand AS (${union}),
    scored AS (
      SELECT p.nhs_number,
             nm.s_family, nm.s_given, nm.how_family, nm.how_given,
             ${birthScore} AS s_birth, ${birthHow} AS how_birth,
             ${genderScore} AS s_gender,
             CASE WHEN ${masked} THEN NULL ELSE ad.s_postcode END AS s_postcode,
             CASE WHEN ${masked} THEN NULL ELSE ad.how_postcode END AS how_postcode,
             CASE WHEN ${masked} THEN NULL ELSE ${gpScore} END AS s_gp
      FROM (SELECT DISTINCT nhs_number FROM cand) c
      JOIN patient p ON p.nhs_number = c.nhs_number AND p.merged_into IS NULL ${restricted}
      -- the name scores once per name row (OFFSET 0 keeps the subquery from being flattened, which
      -- would compute them again for the sort key), the reasons only for the best row
      LEFT JOIN LATERAL (
        SELECT n.s_family, n.s_given, ${famHow} AS how_family, ${givHow} AS how_given
        FROM (SELECT n.family, n.family_norm, n.given, n.given_norm, n.given_canon, n.period_end, n.use,
                     ${famScore} AS s_family, ${givScore} AS s_given
              FROM patient_name n WHERE n.nhs_number = p.nhs_number OFFSET 0) n
        ORDER BY ${WEIGHTS.family}::float8 * COALESCE(n.s_family, 0) + ${WEIGHTS.given}::float8 * COALESCE(n.s_given, 0) DESC
        LIMIT 1
      ) nm ON true
      LEFT JOIN LATERAL (
        SELECT ${pcScore} AS s_postcode, ${pcHow} AS how_postcode
        FROM patient_address a WHERE a.nhs_number = p.nhs_number
        ORDER BY 1 DESC NULLS LAST LIMIT 1
      ) ad ON true
    ),
    totals AS (
      SELECT *, round(((
          ${hasFam ? WEIGHTS.family : 0}::float8 * COALESCE(GREATEST(s_family, 0), 0)
        + ${hasGiv ? WEIGHTS.given : 0}::float8 * COALESCE(GREATEST(s_given, 0), 0)
        + ${hasDob ? WEIGHTS.birthDate : 0}::float8 * COALESCE(s_birth, 0)
        + ${hasGender ? WEIGHTS.gender : 0}::float8 * COALESCE(s_gender, 0)
        + ${hasPc ? WEIGHTS.postcode : 0}::float8 * COALESCE(s_postcode, 0)
        + ${hasGp ? WEIGHTS.gp : 0}::float8 * COALESCE(s_gp, 0)
      ) / ${denominator}::float8
        -- a clearly different given or family name (twins, siblings, namesakes) or a recorded
        -- gender that contradicts the query cannot be outvoted by the other fields
        * (CASE WHEN s_given IS NULL OR s_given >= 0.7 THEN 1.0 ELSE 0.6 + 0.4 * GREATEST(s_given, 0) END)
        * (CASE WHEN s_family IS NULL OR s_family >= 0.7 THEN 1.0 ELSE 0.6 + 0.4 * GREATEST(s_family, 0) END)
        * (CASE WHEN s_gender IS NULL OR s_gender >= 0.5 THEN 1.0 ELSE 0.85 END)
      )::numeric, 4)::float8 AS score
      FROM scored
    ),
    above AS (
      SELECT *, max(score) OVER () AS best FROM totals WHERE score >= ${threshold}::float8
    )
    SELECT *, count(*) OVER () AS total FROM above
    -- dominated hits (more than the margin below the best one) are dropped
    WHERE score >= best - ${margin}::float8
    ORDER BY score DESC, nhs_number
    LIMIT ${limit}`;
}

/** Human-readable reasons for a hit, e.g. ["family:phonetic", "birth_date:transposed"]. */
export function matchedOn(row: TraceRow): string[] {
  const out: string[] = [];
  const add = (field: string, score: number | null, how: string | null) => {
    if (score !== null && score > 0) out.push(`${field}:${how ?? 'similar'}`);
  };
  add('family', row.s_family, row.how_family);
  add('given', row.s_given, row.how_given);
  add('birth_date', row.s_birth, row.how_birth);
  if (row.s_gender !== null && row.s_gender >= 1) out.push('gender:exact');
  add('postcode', row.s_postcode, row.how_postcode);
  if (row.s_gp !== null && row.s_gp >= 1) out.push('gp:exact');
  return out;
}
