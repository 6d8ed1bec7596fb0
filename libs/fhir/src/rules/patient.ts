import { NHS_NUMBER_SYSTEM } from '../systems';
import {
  arr,
  checkIdentifiers,
  checkOdsReference,
  isObject,
  type Json,
  type Report,
  type RuleContext,
  str,
} from './checks';

const UK_POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d ()-]{6,20}$/;

export function patientRules(
  p: Json,
  ctx: RuleContext,
  mode: 'create' | 'update',
  report: Report,
): void {
  checkIdentifiers(p['identifier'], 'Patient.identifier', report);
  if (
    mode === 'create' &&
    arr(p['identifier']).some((i) => isObject(i) && i['system'] === NHS_NUMBER_SYSTEM)
  ) {
    report(
      'patient.nhs-number.on-create',
      'Patient.identifier',
      'the NHS number is allocated by the platform; omit it on create',
      'business-rule',
    );
  }
  const names = arr(p['name']);
  if (names.length === 0) {
    report('patient.name.required', 'Patient.name', 'a name is required', 'required');
  }
  names.forEach((n, i) => {
    if (!isObject(n)) return;
    if (!str(n['family'])?.trim())
      report(
        'patient.name.family',
        `Patient.name[${i}].family`,
        'a family name is required',
        'required',
      );
    if (arr(n['given']).length === 0)
      report(
        'patient.name.given',
        `Patient.name[${i}].given`,
        'a given name is required',
        'required',
      );
  });
  if (p['gender'] === undefined)
    report('patient.gender.required', 'Patient.gender', 'gender is required', 'required');
  const birthDate = str(p['birthDate']);
  if (birthDate === undefined) {
    report(
      'patient.birth-date.required',
      'Patient.birthDate',
      'birth date is required',
      'required',
    );
  } else if (/^\d{4}(-\d{2})?$/.test(birthDate)) {
    report(
      'patient.birth-date.precision',
      'Patient.birthDate',
      'birth date must be a full date (YYYY-MM-DD)',
    );
  } else if (/^\d{4}-\d{2}-\d{2}$/.test(birthDate) && birthDate > ctx.today) {
    report(
      'patient.birth-date.future',
      'Patient.birthDate',
      'birth date is in the future',
      'business-rule',
    );
  }
  arr(p['address']).forEach((a, i) => {
    if (!isObject(a)) return;
    const pc = str(a['postalCode']);
    if (pc === undefined || !UK_POSTCODE.test(pc.trim())) {
      report(
        'patient.address.postcode',
        `Patient.address[${i}].postalCode`,
        `"${pc ?? ''}" is not a valid UK postcode`,
      );
    }
    if (arr(a['line']).length === 0)
      report(
        'patient.address.line',
        `Patient.address[${i}].line`,
        'an address line is required',
        'required',
      );
  });
  arr(p['telecom']).forEach((t, i) => {
    if (!isObject(t)) return;
    const system = str(t['system']);
    const value = str(t['value']) ?? '';
    if (system !== 'phone' && system !== 'email' && system !== 'sms') {
      report(
        'patient.telecom.system',
        `Patient.telecom[${i}].system`,
        `telecom system must be phone, email or sms, got ${system ?? 'none'}`,
        'not-supported',
      );
    } else if (system === 'email' ? !EMAIL.test(value) : !PHONE.test(value)) {
      report(
        'patient.telecom.value',
        `Patient.telecom[${i}].value`,
        `"${value}" is not a valid ${system}`,
      );
    }
  });
  arr(p['generalPractitioner']).forEach((g, i) =>
    checkOdsReference(
      g,
      `Patient.generalPractitioner[${i}]`,
      'ods.format',
      'The GP practice',
      report,
    ),
  );
  if (
    mode === 'create' &&
    (p['deceasedBoolean'] !== undefined || p['deceasedDateTime'] !== undefined)
  ) {
    report(
      'patient.deceased.unsupported',
      'Patient.deceased',
      'death is recorded by the platform, not on registration',
      'not-supported',
    );
  }
  if (p['link'] !== undefined) {
    report(
      'patient.link.unsupported',
      'Patient.link',
      'links are set by merges, not by clients',
      'not-supported',
    );
  }
}
