/**
 * SNOMED CT identifier checks (SNOMED CT Technical Implementation Guide, "SCTID" rules): 6-18
 * digits, no leading zero, a partition identifier (2nd and 3rd digit from the right) and a
 * Verhoeff check digit.
 */
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** The Verhoeff check over a string of digits (its last digit being the check digit). */
export function verhoeffValid(digits: string): boolean {
  let c = 0;
  const rev = digits.split('').reverse();
  for (let i = 0; i < rev.length; i++) c = D[c]![P[i % 8]![Number(rev[i])]!]!;
  return c === 0;
}

/** The shape of an SCTID: 6-18 digits, no leading zero. */
export const SCTID = /^[1-9]\d{5,17}$/;

export type SctidProblem = 'format' | 'partition' | 'check-digit';

/** undefined when `code` is a concept id (partition 00 or 10); else what is wrong with it. */
export function sctidProblem(code: string): SctidProblem | undefined {
  if (!SCTID.test(code)) return 'format';
  const partition = code.slice(-3, -1);
  if (partition !== '00' && partition !== '10') return 'partition';
  if (!verhoeffValid(code)) return 'check-digit';
  return undefined;
}
