/**
 * Code-system checks that need no terminology server: a code must have the shape and check digit
 * its declared system defines, so a SNOMED CT id sent as LOINC (or a typo) is refused.
 *  - LOINC: `<1-7 digits>-<check digit>`, the check digit is LOINC's mod-10 algorithm
 *    (https://loinc.org/kb/users-guide/calculating-mod-10-check-digits/).
 *  - SNOMED CT: 6-18 digits, last digit a Verhoeff check digit, partition identifier
 *    (2nd and 3rd from last) 00/10 (concept) — descriptions and relationships are not codes.
 */
export const LOINC_SYSTEM = 'http://loinc.org';
export const SNOMED_SYSTEM = 'http://snomed.info/sct';
export type CodeSystemUri = typeof LOINC_SYSTEM | typeof SNOMED_SYSTEM;

export function loincCheckDigit(body: string): number {
  // Mod 10: from the rightmost digit, double every other digit (starting with the rightmost),
  // sum the digits of the results and the untouched digits; check = (10 - sum % 10) % 10.
  let sum = 0;
  const digits = body.split('').reverse();
  digits.forEach((ch, i) => {
    let d = Number(ch);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d = Math.floor(d / 10) + (d % 10);
    }
    sum += d;
  });
  return (10 - (sum % 10)) % 10;
}

export type CodeProblem = 'format' | 'check-digit' | 'partition';

export function checkLoinc(code: string): CodeProblem | undefined {
  const m = /^(\d{1,7})-(\d)$/.exec(code);
  if (!m) return 'format';
  return loincCheckDigit(m[1]!) === Number(m[2]) ? undefined : 'check-digit';
}

// Verhoeff tables.
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

export function verhoeffValid(num: string): boolean {
  let c = 0;
  const digits = num.split('').reverse();
  for (let i = 0; i < digits.length; i++) c = D[c]![P[i % 8]![Number(digits[i])]!]!;
  return c === 0;
}

export function checkSnomed(code: string): CodeProblem | undefined {
  if (!/^[1-9]\d{5,17}$/.test(code)) return 'format';
  const partition = code.slice(-3, -1);
  if (partition !== '00' && partition !== '10') return 'partition';
  return verhoeffValid(code) ? undefined : 'check-digit';
}

export function checkCode(system: CodeSystemUri, code: string): CodeProblem | undefined {
  return system === LOINC_SYSTEM ? checkLoinc(code) : checkSnomed(code);
}
