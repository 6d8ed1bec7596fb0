import { loincProblem, sctidProblem } from '@trellis/codes';

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

export { loincCheckDigit, verhoeffValid } from '@trellis/codes';

export type CodeProblem = 'format' | 'check-digit' | 'partition';

export function checkLoinc(code: string): CodeProblem | undefined {
  return loincProblem(code);
}

export function checkSnomed(code: string): CodeProblem | undefined {
  return sctidProblem(code);
}

export function checkCode(system: CodeSystemUri, code: string): CodeProblem | undefined {
  return system === LOINC_SYSTEM ? checkLoinc(code) : checkSnomed(code);
}
