import { isOdsCode, isValidUcumUnit, loincProblem, SCTID, verhoeffValid } from '@trellis/codes';
import { validateNhsNumber } from '@trellis/nhs-number';
import type { IssueCode } from '../outcome';
import {
  LOINC_SYSTEM,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  SNOMED_CT_SYSTEM,
  UCUM_SYSTEM,
} from '../systems';

/**
 * The building blocks of the Trellis rules: JSON access, NHS number, ODS, Patient reference,
 * terminology and UCUM checks that the per-resource rule sets share.
 */

/** What the rules need from outside the resource. */
export interface RuleContext {
  /** Today's date (YYYY-MM-DD), for "not in the future" checks. */
  today: string;
}

export type Json = Record<string, unknown>;
export type Report = (rule: string, expression: string, message: string, code?: IssueCode) => void;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function checkNhsNumberValue(value: unknown, path: string, report: Report): void {
  const v = validateNhsNumber(str(value));
  if (v.valid) {
    if (str(value) !== v.normalised) {
      report('nhs-number.format', path, 'NHS number must be 10 digits without spaces');
    }
    return;
  }
  const rule =
    v.problem === 'check-digit-mismatch' || v.problem === 'check-digit-10'
      ? 'nhs-number.check-digit'
      : 'nhs-number.format';
  report(rule, path, v.message ?? 'invalid NHS number');
}

export function checkIdentifiers(identifiers: unknown, base: string, report: Report): void {
  arr(identifiers).forEach((id, i) => {
    if (!isObject(id)) return;
    const system = str(id['system']);
    const path = `${base}[${i}]`;
    if (system === NHS_NUMBER_SYSTEM) {
      checkNhsNumberValue(id['value'], `${path}.value`, report);
    } else if (system && /nhs-?number/i.test(system)) {
      report(
        'nhs-number.system',
        `${path}.system`,
        `NHS number identifier system must be ${NHS_NUMBER_SYSTEM}, got ${system}`,
      );
    }
  });
}

export function checkOdsReference(
  ref: unknown,
  path: string,
  rule: string,
  what: string,
  report: Report,
): void {
  const ident = isObject(ref) && isObject(ref['identifier']) ? ref['identifier'] : undefined;
  if (!ident) {
    report(rule, path, `${what} must be identified by an ODS code (identifier)`, 'required');
    return;
  }
  if (str(ident['system']) !== ODS_ORGANISATION_SYSTEM) {
    report(
      'ods.format',
      `${path}.identifier.system`,
      `ODS system must be ${ODS_ORGANISATION_SYSTEM}`,
    );
  } else if (!isOdsCode(str(ident['value']) ?? '')) {
    report(
      'ods.format',
      `${path}.identifier.value`,
      'ODS code must be 3-10 upper-case letters/digits',
    );
  }
}

/** A Patient reference: `Patient/<nhs>` or an identifier with the NHS number system. */
export function checkPatientReference(ref: unknown, path: string, report: Report): void {
  if (!isObject(ref)) {
    report(
      'reference.patient',
      path,
      'a Patient reference (by NHS number) is required',
      'required',
    );
    return;
  }
  const reference = str(ref['reference']);
  if (reference !== undefined) {
    const m = /^Patient\/(.+)$/.exec(reference);
    if (!m) {
      report('reference.patient', `${path}.reference`, 'the subject must be a Patient reference');
      return;
    }
    checkNhsNumberValue(m[1], `${path}.reference`, report);
    return;
  }
  const ident = ref['identifier'];
  if (isObject(ident)) {
    if (str(ident['system']) !== NHS_NUMBER_SYSTEM) {
      report(
        'nhs-number.system',
        `${path}.identifier.system`,
        `system must be ${NHS_NUMBER_SYSTEM}`,
      );
      return;
    }
    checkNhsNumberValue(ident['value'], `${path}.identifier.value`, report);
    return;
  }
  report('reference.patient', path, 'a Patient reference (by NHS number) is required', 'required');
}

/** SNOMED CT ids as the FHIR rules take them: 6-18 digits and a Verhoeff check digit. */
export function isValidSnomedId(code: string): boolean {
  return SCTID.test(code) && verhoeffValid(code);
}

/** LOINC codes: 1-7 digits, hyphen, mod-10 check digit. */
export function isValidLoincCode(code: string): boolean {
  return loincProblem(code) === undefined;
}

export function codings(concept: unknown): Json[] {
  return isObject(concept) ? arr(concept['coding']).filter(isObject) : [];
}

/** Checks the codings of a CodeableConcept; `require` names the systems one of which must appear. */
export function checkConcept(
  concept: unknown,
  path: string,
  require: 'snomed' | 'loinc-or-snomed' | undefined,
  report: Report,
): void {
  const list = codings(concept);
  list.forEach((c, i) => {
    const system = str(c['system']);
    const code = str(c['code']) ?? '';
    if (system === SNOMED_CT_SYSTEM && !isValidSnomedId(code)) {
      report(
        'terminology.snomed.format',
        `${path}.coding[${i}].code`,
        `"${code}" is not a valid SNOMED CT concept id`,
        'code-invalid',
      );
    }
    if (system === LOINC_SYSTEM && !isValidLoincCode(code)) {
      report(
        'terminology.loinc.format',
        `${path}.coding[${i}].code`,
        `"${code}" is not a valid LOINC code`,
        'code-invalid',
      );
    }
  });
  if (require === 'snomed' && !list.some((c) => c['system'] === SNOMED_CT_SYSTEM)) {
    report(
      'terminology.snomed.required',
      `${path}.coding`,
      'a SNOMED CT coding (http://snomed.info/sct) is required',
      'required',
    );
  }
  if (
    require === 'loinc-or-snomed' &&
    !list.some((c) => c['system'] === SNOMED_CT_SYSTEM || c['system'] === LOINC_SYSTEM)
  ) {
    report(
      'terminology.loinc-or-snomed.required',
      `${path}.coding`,
      'a LOINC or SNOMED CT coding is required',
      'required',
    );
  }
}

export function checkQuantity(q: unknown, path: string, report: Report): void {
  if (!isObject(q)) return;
  if (str(q['system']) !== UCUM_SYSTEM) {
    report(
      'terminology.ucum.required',
      `${path}.system`,
      `quantities must use UCUM (${UCUM_SYSTEM})`,
    );
    return;
  }
  const code = str(q['code']);
  if (!code || !isValidUcumUnit(code)) {
    report(
      'terminology.ucum.code',
      `${path}.code`,
      `"${code ?? ''}" is not a valid UCUM unit`,
      'code-invalid',
    );
  }
}
