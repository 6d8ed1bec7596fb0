import { ucumUtils } from '@trellis/codes';

/**
 * UCUM unit validation through the NLM's maintained UCUM library (@lhncbc/ucum-lhc, pinned), with
 * a small memo because labs send the same few units millions of times.
 *
 * A curated table of common LOINC codes says which kind of unit a result needs (e.g. a
 * haemoglobin concentration must convert to g/L); a valid UCUM unit of the wrong dimension is
 * refused too. Codes outside the table get the UCUM validity check only.
 */
const utils = ucumUtils();
const validity = new Map<string, string | undefined>();
const commensurable = new Map<string, boolean>();

/** undefined when `unit` is a valid UCUM code; else the reason. */
export function ucumProblem(unit: string): string | undefined {
  if (validity.has(unit)) return validity.get(unit);
  let problem: string | undefined;
  if (unit.trim() !== unit || unit === '') problem = 'unit is empty or has surrounding spaces';
  else {
    const r = utils.validateUnitString(unit, false);
    if (r.status !== 'valid') problem = `"${unit}" is not a valid UCUM unit`;
  }
  if (validity.size < 10_000) validity.set(unit, problem);
  return problem;
}

/** Converts `value` from one UCUM unit to another; undefined when not commensurable. */
export function convertUnit(value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  const r = utils.convertUnitTo(from, value, to);
  return r.status === 'succeeded' && typeof r.toVal === 'number' ? r.toVal : undefined;
}

export function isCommensurable(from: string, to: string): boolean {
  const key = `${from}\u0000${to}`;
  const hit = commensurable.get(key);
  if (hit !== undefined) return hit;
  const ok = convertUnit(1, from, to) !== undefined;
  if (commensurable.size < 10_000) commensurable.set(key, ok);
  return ok;
}

/**
 * Curated: LOINC code → a reference unit its quantity must be convertible to (from the LOINC
 * example UCUM units). Covers the demo panels (FBC, U&E, HbA1c, lipids) and common chemistry.
 */
export const LOINC_UNITS: Readonly<Record<string, { unit: string; display: string }>> = {
  '718-7': { unit: 'g/L', display: 'Haemoglobin [Mass/volume] in Blood' },
  '6690-2': { unit: '10*9/L', display: 'Leukocytes [#/volume] in Blood' },
  '789-8': { unit: '10*12/L', display: 'Erythrocytes [#/volume] in Blood' },
  '777-3': { unit: '10*9/L', display: 'Platelets [#/volume] in Blood' },
  '4544-3': { unit: '%', display: 'Haematocrit [Volume Fraction] of Blood' },
  '787-2': { unit: 'fL', display: 'MCV [Entitic volume]' },
  '785-6': { unit: 'pg', display: 'MCH [Entitic mass]' },
  '751-8': { unit: '10*9/L', display: 'Neutrophils [#/volume] in Blood' },
  '731-0': { unit: '10*9/L', display: 'Lymphocytes [#/volume] in Blood' },
  '2951-2': { unit: 'mmol/L', display: 'Sodium [Moles/volume] in Serum or Plasma' },
  '2823-3': { unit: 'mmol/L', display: 'Potassium [Moles/volume] in Serum or Plasma' },
  '22664-7': { unit: 'mmol/L', display: 'Urea [Moles/volume] in Serum or Plasma' },
  '14682-9': { unit: 'umol/L', display: 'Creatinine [Moles/volume] in Serum or Plasma' },
  '62238-1': { unit: 'mL/min/{1.73_m2}', display: 'eGFR (CKD-EPI)' },
  '59261-8': { unit: 'mmol/mol', display: 'HbA1c/Hb.total [IFCC] in Blood' },
  '4548-4': { unit: '%', display: 'HbA1c/Hb.total in Blood' },
  '14647-2': { unit: 'mmol/L', display: 'Cholesterol [Moles/volume] in Serum or Plasma' },
  '14646-4': { unit: 'mmol/L', display: 'HDL cholesterol [Moles/volume] in Serum or Plasma' },
  '22748-8': { unit: 'mmol/L', display: 'LDL cholesterol [Moles/volume] in Serum or Plasma' },
  '14927-8': { unit: 'mmol/L', display: 'Triglyceride [Moles/volume] in Serum or Plasma' },
  '9322-9': { unit: '1', display: 'Cholesterol.total/HDL [Molar ratio]' },
  '15074-8': { unit: 'mmol/L', display: 'Glucose [Moles/volume] in Blood' },
};

/** A problem when the quantity's unit is not of the kind the LOINC code measures. */
export function unitKindProblem(loinc: string, unit: string): string | undefined {
  const expected = LOINC_UNITS[loinc];
  if (!expected) return undefined;
  return isCommensurable(unit, expected.unit)
    ? undefined
    : `unit "${unit}" does not measure what LOINC ${loinc} measures (expected a unit convertible to ${expected.unit})`;
}
