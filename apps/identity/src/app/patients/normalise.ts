import { canonicalGivenName } from './nicknames';

/**
 * Normalisation shared by writes (search columns) and trace (query terms), so both sides of a
 * comparison are always produced by the same code.
 */

/** Upper-case A–Z only: "O'Brien-Smith" → "OBRIENSMITH". Accents are folded first ("Zoë" → "ZOE"). */
export function normaliseName(value: string | null | undefined): string {
  if (!value) return '';
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');
}

/** The parts of a double-barrelled or multi-word family name: "Smith-Jones" → ["SMITH", "JONES"]. */
export function familyNameParts(value: string | null | undefined): string[] {
  if (!value) return [];
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .split(/[^A-Z']+/)
    .map((p) => p.replace(/[^A-Z]/g, ''))
    .filter((p) => p.length > 0);
}

/** The first given name's first word ("Mary Ann" → "MARY"): the same token trace compares. */
export function normaliseGiven(given: readonly string[] | null | undefined): string {
  return normaliseName(firstWord(given?.[0]));
}

function firstWord(value: string | null | undefined): string {
  return (value ?? '').trim().split(/\s+/)[0] ?? '';
}

export function canonicalGiven(given: readonly string[] | string | null | undefined): string {
  const first = typeof given === 'string' ? normaliseName(firstWord(given)) : normaliseGiven(given);
  return first ? canonicalGivenName(first) : '';
}

const FULL_POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$/;
const OUTWARD_ONLY = /^[A-Z]{1,2}[0-9][A-Z0-9]?$/;

export interface NormalisedPostcode {
  /** without spaces, upper-case: "LS14AP" */
  norm: string;
  /** outward code "LS1" (empty when unparseable) */
  outward: string;
  /** true when the value is a full postcode, false for an outward code / prefix only */
  full: boolean;
}

/** "ls1 4ap" → { norm: "LS14AP", outward: "LS1", full: true }; "LS1" → outward only. */
export function normalisePostcode(value: string | null | undefined): NormalisedPostcode {
  const norm = (value ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  const full = FULL_POSTCODE.exec(norm);
  if (full) return { norm, outward: full[1]!, full: true };
  if (OUTWARD_ONLY.test(norm)) return { norm, outward: norm, full: false };
  return { norm, outward: '', full: false };
}

export function isValidPostcode(value: string): boolean {
  return normalisePostcode(value).full;
}

/** Formats a full postcode the Royal Mail way: "LS14AP" → "LS1 4AP". */
export function formatPostcode(value: string): string {
  const p = normalisePostcode(value);
  return p.full ? `${p.outward} ${p.norm.slice(p.outward.length)}` : value.trim().toUpperCase();
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date "YYYY-MM-DD". */
export function isIsoDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** The date with day and month swapped, when that is a different real date ("1980-03-07" → "1980-07-03"). */
export function swappedDayMonth(value: string): string | undefined {
  const m = DATE.exec(value);
  if (!m) return undefined;
  const swapped = `${m[1]}-${m[3]}-${m[2]}`;
  return swapped !== value && isIsoDate(swapped) ? swapped : undefined;
}

/**
 * The key registrations serialise on (advisory lock): birth date. Two registrations of the same
 * person always share it (or its day/month swap, which is locked too), while registrations of
 * different people rarely do (≈ 1 in 30,000 at national scale).
 */
export function registrationLockKeys(birthDate: string): string[] {
  const keys = [birthDate];
  const swapped = swappedDayMonth(birthDate);
  if (swapped) keys.push(swapped);
  return keys.sort().map((k) => `identity:register:${k}`);
}

/** The normalised demographic key stored with a registration. */
export function registrationKey(
  family: string,
  given: readonly string[],
  birthDate: string,
  gender: string,
): string {
  return [normaliseName(family), canonicalGiven(given), birthDate, gender].join('|');
}
