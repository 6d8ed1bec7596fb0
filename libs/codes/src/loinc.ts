/**
 * LOINC code checks: `<1-7 digits>-<check digit>`, the check digit being LOINC's mod-10 algorithm
 * (https://loinc.org/kb/users-guide/calculating-mod-10-check-digits/).
 */
export function loincCheckDigit(body: string): number {
  // From the rightmost digit, double every other digit (starting with the rightmost), sum the
  // digits of the results and the untouched digits; check = (10 - sum % 10) % 10.
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

export type LoincProblem = 'format' | 'check-digit';

/** undefined when `code` is a well-formed LOINC code; else what is wrong with it. */
export function loincProblem(code: string): LoincProblem | undefined {
  const m = /^(\d{1,7})-(\d)$/.exec(code);
  if (!m) return 'format';
  return loincCheckDigit(m[1]!) === Number(m[2]) ? undefined : 'check-digit';
}
