/**
 * NHS number rules: 10 digits, the tenth a modulus-11 check digit over the first nine
 * (weights 10..2). A remainder giving check value 11 means 0; check value 10 means the
 * nine-digit base can never be a valid NHS number and must be skipped by allocators.
 */

const WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2] as const;

export type NhsNumberProblem =
  'empty' | 'not-ten-digits' | 'non-digit' | 'check-digit-10' | 'check-digit-mismatch';

export interface NhsNumberValidation {
  valid: boolean;
  /** the 10 digits without separators when the input had 10 digits */
  normalised?: string;
  problem?: NhsNumberProblem;
  message?: string;
}

/**
 * The check digit for a nine-digit base, or `undefined` when the base yields 10
 * (no valid NHS number exists for it).
 */
export function checkDigit(base: string): number | undefined {
  if (!/^\d{9}$/.test(base)) {
    throw new RangeError(`NHS number base must be nine digits, got "${base}"`);
  }
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    sum += Number(base.charCodeAt(i) - 48) * WEIGHTS[i]!;
  }
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/** Strips the spaces and hyphens people write NHS numbers with ("943 476 5919"). */
export function normaliseNhsNumber(input: string): string {
  return input.replace(/[\s-]/g, '');
}

export function validateNhsNumber(input: string | null | undefined): NhsNumberValidation {
  if (input === null || input === undefined || input.trim() === '') {
    return { valid: false, problem: 'empty', message: 'NHS number is required' };
  }
  const digits = normaliseNhsNumber(input);
  if (/\D/.test(digits)) {
    return { valid: false, problem: 'non-digit', message: 'NHS number must contain digits only' };
  }
  if (digits.length !== 10) {
    return {
      valid: false,
      problem: 'not-ten-digits',
      message: `NHS number must have 10 digits, got ${digits.length}`,
    };
  }
  const expected = checkDigit(digits.slice(0, 9));
  if (expected === undefined) {
    return {
      valid: false,
      normalised: digits,
      problem: 'check-digit-10',
      message: 'NHS number is invalid: its modulus-11 check value is 10',
    };
  }
  if (expected !== Number(digits[9])) {
    return {
      valid: false,
      normalised: digits,
      problem: 'check-digit-mismatch',
      message: `NHS number check digit should be ${expected}, got ${digits[9]}`,
    };
  }
  return { valid: true, normalised: digits };
}

export function isValidNhsNumber(input: string | null | undefined): boolean {
  return validateNhsNumber(input).valid;
}

/** "9434765919" → "943 476 5919" (the 3-3-4 format used on NHS letters and cards). */
export function formatNhsNumber(input: string): string {
  const digits = normaliseNhsNumber(input);
  if (!/^\d{10}$/.test(digits)) {
    throw new RangeError(`cannot format "${input}" as an NHS number`);
  }
  return `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`;
}

/** Appends the check digit to a nine-digit base, or returns undefined when the base is unusable. */
export function completeNhsNumber(base: string): string | undefined {
  const check = checkDigit(base);
  return check === undefined ? undefined : `${base}${check}`;
}

/** True for numbers in the 999 range reserved for testing and synthetic data. */
export function isTestRangeNhsNumber(nhsNumber: string): boolean {
  return normaliseNhsNumber(nhsNumber).startsWith('999');
}
