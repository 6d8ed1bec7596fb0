import { isOdsCode, isValidUcumUnit, loincProblem, SCTID, verhoeffValid } from '@trellis/codes';
import { validateNhsNumber } from '@trellis/nhs-number';
import {
  LAB_REPORT_ID_SYSTEM,
  REPORT_CATEGORY_SYSTEM,
  REPORT_REQUESTER_EXTENSION,
  VERSION_REASON_EXTENSION,
} from './mapping/summaries';
import { PATIENT_DEATH_RULES } from './mapping/patient';
import type { FhirIssue, IssueCode } from './outcome';
import {
  GMC_SYSTEM,
  LOINC_SYSTEM,
  REFERRAL_REQUEST_ID_SYSTEM,
  REGION_EXTENSION,
  SCHEDULE_REQUEST_ID_SYSTEM,
  SLOT_REQUEST_ID_SYSTEM,
  SDS_USER_SYSTEM,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  SNOMED_CT_SYSTEM,
  UCUM_SYSTEM,
} from './systems';

/**
 * Trellis conformance rules on top of FHIR R4 structure: what the platforms need to accept a
 * resource (NHS number system + check digit, required elements, code systems). Each rule has a
 * stable id (the scorecards count by it) and reports the FHIRPath of the offending element.
 */
export interface RuleContext {
  /** Today's date (YYYY-MM-DD), for "not in the future" checks. */
  today: string;
}

type Json = Record<string, unknown>;
type Report = (rule: string, expression: string, message: string, code?: IssueCode) => void;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Every rule id this module can report, with a one-line description (docs + CapabilityStatement). */
export const TRELLIS_RULES: Readonly<Record<string, string>> = {
  'fhir.json': 'The body is a JSON object',
  'fhir.resource-type': 'resourceType matches the endpoint',
  'fhir.id-mismatch': 'On update the resource id equals the URL id',
  'fhir.structure': 'FHIR R4 structure (elements, types, formats)',
  'fhir.cardinality': 'FHIR R4 cardinality (required elements, arrays)',
  'fhir.unknown-element': 'No elements outside FHIR R4',
  'fhir.datatype': 'Primitive values match their FHIR R4 type',
  'fhir.invariant': 'FHIR R4 invariants (constraints)',
  'fhir.value-set': 'Codes from required FHIR value sets',
  'fhir.narrative': 'A narrative is XHTML without active content (no script, event attributes)',
  'fhir.id': 'A resource id is 1-64 letters, digits, "-" or "."',
  'fhir.depth': 'Elements nest at most 32 levels deep',
  'fhir.too-complex': 'A resource has at most 20,000 JSON values',
  'fhir.issues-truncated': 'An OperationOutcome lists at most 100 issues and says how many more',
  'nhs-number.system': 'NHS numbers use the system https://fhir.nhs.uk/Id/nhs-number',
  'nhs-number.format': 'An NHS number is 10 digits',
  'nhs-number.check-digit': 'An NHS number has a valid modulus-11 check digit',
  'ods.format': 'ODS organisation codes use the ODS system and format',
  'patient.name.required': 'A Patient has a current name',
  'patient.name.family': 'A Patient name has a family name',
  'patient.name.given': 'A Patient name has a given name',
  'patient.gender.required': 'A Patient has an administrative gender',
  'patient.birth-date.required': 'A Patient has a birth date',
  'patient.birth-date.precision': 'A Patient birth date is a full date',
  'patient.birth-date.future': 'A Patient birth date is not in the future',
  'patient.address.postcode': 'A home address has a valid UK postcode',
  'patient.address.line': 'An address has at least one line',
  'patient.telecom.system': 'Telecom system is phone, email or sms',
  'patient.telecom.value': 'Telecom values are well formed',
  'patient.deceased.unsupported': 'A death is not accepted on create (record it by update)',
  ...PATIENT_DEATH_RULES,
  'patient.link.unsupported': 'Links are managed by merges',
  'patient.nhs-number.on-create': 'The NHS number is allocated by the platform on create',
  'reference.patient': 'The subject is a Patient identified by a valid NHS number',
  'terminology.snomed.required': 'The concept is coded in SNOMED CT',
  'terminology.snomed.format': 'A SNOMED CT concept id is well formed (Verhoeff check)',
  'terminology.loinc.format': 'A LOINC code is well formed (mod-10 check)',
  'terminology.loinc-or-snomed.required': 'The test is coded in LOINC or SNOMED CT',
  'terminology.ucum.required': 'Quantities use UCUM units',
  'terminology.ucum.code': 'A UCUM unit code is valid',
  'service-request.requester':
    'A referral names the referring practitioner (SDS user id or GMC number)',
  'service-request.performer': 'A referral names the receiving organisation (ODS)',
  'service-request.region': 'The receiving organisation carries its region code (extension)',
  'service-request.specialty': 'A referral names the specialty (category)',
  'service-request.identifier': 'A referral carries its client request id (idempotency key)',
  'service-request.priority': 'Priority is routine, urgent or asap (two-week wait)',
  'service-request.immutable':
    'An update changes only priority, code (reason) and note; patient, requester, performer, specialty, identifier, status and authoredOn stay as sent',
  'schedule.actor': 'A schedule names its organisation (one Organization actor by ODS code)',
  'schedule.practitioner': 'A practitioner actor is identified by SDS user id or GMC number',
  'schedule.service-type': 'A schedule names its service type (serviceType[0] code or text)',
  'schedule.identifier': 'At most one schedule request id (idempotency key) of 8-128 characters',
  'slot.schedule': 'A slot references its schedule (Schedule/<id>)',
  'slot.status': 'A new slot is free or busy-unavailable (busy is set by bookings)',
  'slot.period': 'A slot ends after it starts',
  'slot.identifier': 'At most one slot request id (idempotency key) of 8-128 characters',
  'appointment.slot': 'An appointment references the slot it books',
  'appointment.patient': 'An appointment has a patient participant',
  'diagnostic-report.result': 'A report lists its observations',
  'diagnostic-report.result-reference':
    'Each result references a contained Observation (#id) of the report',
  'diagnostic-report.identifier':
    "A report carries one lab report id (the lab's idempotency key, lab-report-id system)",
  'diagnostic-report.category': 'A report is categorised LAB or RAD (HL7 v2-0074)',
  'diagnostic-report.requester':
    'A report names the requesting organisation (report-requester extension, ODS)',
  'diagnostic-report.version-reason':
    'An amended, corrected, appended or cancelled version says why (version-reason extension)',
  'diagnostic-report.status':
    'A report is preliminary, partial, final, amended, corrected, appended or cancelled',
  'diagnostic-report.immutable':
    'An update keeps the subject, identifier and performer of the report',
  'observation.value': 'A final observation carries a value or a data-absent reason',
};

// ---------------------------------------------------------------------------------------------
// building blocks

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

function checkIdentifiers(identifiers: unknown, base: string, report: Report): void {
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

function checkOdsReference(
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
function checkPatientReference(ref: unknown, path: string, report: Report): void {
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

function codings(concept: unknown): Json[] {
  return isObject(concept) ? arr(concept['coding']).filter(isObject) : [];
}

/** Checks the codings of a CodeableConcept; `require` names the systems one of which must appear. */
function checkConcept(
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

function checkQuantity(q: unknown, path: string, report: Report): void {
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

// ---------------------------------------------------------------------------------------------
// per resource

const UK_POSTCODE = /^([A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d ()-]{6,20}$/;

function patientRules(p: Json, ctx: RuleContext, mode: 'create' | 'update', report: Report): void {
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

function serviceRequestRules(r: Json, mode: 'create' | 'update', report: Report): void {
  checkPatientReference(r['subject'], 'ServiceRequest.subject', report);
  checkConcept(r['code'], 'ServiceRequest.code', 'snomed', report);
  arr(r['reasonCode']).forEach((c, i) =>
    checkConcept(c, `ServiceRequest.reasonCode[${i}]`, undefined, report),
  );
  const requester = isObject(r['requester']) ? r['requester'] : undefined;
  const rid = requester && isObject(requester['identifier']) ? requester['identifier'] : undefined;
  // an update may name the requester as it reads back: the referring organisation (ODS)
  const orgOnUpdate = mode === 'update' && rid?.['system'] === ODS_ORGANISATION_SYSTEM;
  if (
    !rid ||
    (rid['system'] !== SDS_USER_SYSTEM && rid['system'] !== GMC_SYSTEM && !orgOnUpdate) ||
    !str(rid['value'])
  ) {
    report(
      'service-request.requester',
      'ServiceRequest.requester.identifier',
      `the referring practitioner must be identified by ${SDS_USER_SYSTEM} or ${GMC_SYSTEM}`,
      'required',
    );
  }
  const performer = arr(r['performer'])[0];
  checkOdsReference(
    performer,
    'ServiceRequest.performer[0]',
    'service-request.performer',
    'The performer',
    report,
  );
  if (isObject(performer)) {
    const region = arr(performer['extension']).find(
      (e) => isObject(e) && e['url'] === REGION_EXTENSION,
    ) as Json | undefined;
    if (!region || !/^[a-z][a-z-]{1,30}$/.test(str(region['valueCode']) ?? '')) {
      report(
        'service-request.region',
        'ServiceRequest.performer[0].extension',
        `the receiving organisation needs its region (${REGION_EXTENSION} valueCode)`,
        'required',
      );
    }
  }
  const specialty = codings(arr(r['category'])[0])[0];
  if (!specialty || !str(specialty['code'])) {
    report(
      'service-request.specialty',
      'ServiceRequest.category[0]',
      'the specialty is required (category[0].coding[0].code)',
      'required',
    );
  }
  const ids = arr(r['identifier']).filter(
    (i) => isObject(i) && i['system'] === REFERRAL_REQUEST_ID_SYSTEM,
  ) as Json[];
  // on update the request id may be left out (it cannot change; see the gateway's immutability check)
  const optionalId = mode === 'update' && ids.length === 0;
  if (
    !optionalId &&
    (ids.length !== 1 || !/^[A-Za-z0-9._:-]{8,128}$/.test(str(ids[0]!['value']) ?? ''))
  ) {
    report(
      'service-request.identifier',
      'ServiceRequest.identifier',
      `exactly one ${REFERRAL_REQUEST_ID_SYSTEM} identifier of 8-128 characters is required`,
      'required',
    );
  }
  const priority = str(r['priority']);
  if (priority !== undefined && !['routine', 'urgent', 'asap'].includes(priority)) {
    report(
      'service-request.priority',
      'ServiceRequest.priority',
      'priority must be routine, urgent or asap (two-week wait)',
      'not-supported',
    );
  }
}

function observationRules(o: Json, path: string, report: Report): void {
  checkPatientReference(o['subject'], `${path}.subject`, report);
  checkConcept(o['code'], `${path}.code`, 'loinc-or-snomed', report);
  checkQuantity(o['valueQuantity'], `${path}.valueQuantity`, report);
  if (isObject(o['valueCodeableConcept']))
    checkConcept(o['valueCodeableConcept'], `${path}.valueCodeableConcept`, undefined, report);
  arr(o['referenceRange']).forEach((rr, i) => {
    if (!isObject(rr)) return;
    checkQuantity(rr['low'], `${path}.referenceRange[${i}].low`, report);
    checkQuantity(rr['high'], `${path}.referenceRange[${i}].high`, report);
  });
  const hasValue =
    Object.keys(o).some((k) => k.startsWith('value')) || o['dataAbsentReason'] !== undefined;
  if (o['status'] === 'final' && !hasValue && arr(o['component']).length === 0) {
    report(
      'observation.value',
      `${path}.value[x]`,
      'a final observation needs a value or a dataAbsentReason',
      'required',
    );
  }
}

const LAB_REPORT_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const VERSION_STATUSES = ['amended', 'corrected', 'appended', 'cancelled'];
const REPORT_STATUSES = ['preliminary', 'partial', 'final', ...VERSION_STATUSES];

function diagnosticReportRules(r: Json, mode: 'create' | 'update', report: Report): void {
  checkPatientReference(r['subject'], 'DiagnosticReport.subject', report);
  const status = str(r['status']);
  if (status !== undefined && !REPORT_STATUSES.includes(status)) {
    report(
      'diagnostic-report.status',
      'DiagnosticReport.status',
      `status ${status} is not held by the results platform (${REPORT_STATUSES.join(', ')})`,
      'not-supported',
    );
  }
  const ids = arr(r['identifier']).filter(
    (i) => isObject(i) && i['system'] === LAB_REPORT_ID_SYSTEM,
  ) as Json[];
  if (ids.length !== 1 || !LAB_REPORT_ID.test(str(ids[0]!['value']) ?? '')) {
    report(
      'diagnostic-report.identifier',
      'DiagnosticReport.identifier',
      `exactly one ${LAB_REPORT_ID_SYSTEM} identifier (1-64 letters, digits or . _ : / -) is required`,
      'required',
    );
  }
  const categories = arr(r['category']).flatMap(codings);
  if (
    !categories.some(
      (c) => c['system'] === REPORT_CATEGORY_SYSTEM && (c['code'] === 'LAB' || c['code'] === 'RAD'),
    )
  ) {
    report(
      'diagnostic-report.category',
      'DiagnosticReport.category',
      `a category coding ${REPORT_CATEGORY_SYSTEM} LAB or RAD is required`,
      'required',
    );
  }
  const extensions = arr(r['extension']);
  const ri = extensions.findIndex((e) => isObject(e) && e['url'] === REPORT_REQUESTER_EXTENSION);
  const parts = ri >= 0 ? arr((extensions[ri] as Json)['extension']) : [];
  const oi = parts.findIndex((e) => isObject(e) && e['url'] === 'organization');
  if (oi < 0) {
    report(
      'diagnostic-report.requester',
      'DiagnosticReport.extension',
      `the requesting organisation is required (${REPORT_REQUESTER_EXTENSION}, organization)`,
      'required',
    );
  } else {
    checkOdsReference(
      (parts[oi] as Json)['valueReference'],
      `DiagnosticReport.extension[${ri}].extension[${oi}].valueReference`,
      'diagnostic-report.requester',
      'The requesting organisation',
      report,
    );
  }
  const contained = new Set(
    arr(r['contained'])
      .filter((c) => isObject(c) && c['resourceType'] === 'Observation')
      .map((c) => `#${str((c as Json)['id']) ?? ''}`),
  );
  arr(r['result']).forEach((ref, i) => {
    const target = isObject(ref) ? str(ref['reference']) : undefined;
    if (!target || !contained.has(target)) {
      report(
        'diagnostic-report.result-reference',
        `DiagnosticReport.result[${i}].reference`,
        `${target ?? '(none)'} is not a contained Observation of this report (#id)`,
      );
    }
  });
  const reason = extensions.find((e) => isObject(e) && e['url'] === VERSION_REASON_EXTENSION);
  if (
    mode === 'update' &&
    VERSION_STATUSES.includes(str(r['status']) ?? '') &&
    !str((reason as Json | undefined)?.['valueString'])?.trim()
  ) {
    report(
      'diagnostic-report.version-reason',
      'DiagnosticReport.extension',
      `a ${String(r['status'])} version needs its reason (${VERSION_REASON_EXTENSION} valueString)`,
      'required',
    );
  }
  checkConcept(r['code'], 'DiagnosticReport.code', 'loinc-or-snomed', report);
  checkOdsReference(
    arr(r['performer'])[0],
    'DiagnosticReport.performer[0]',
    'ods.format',
    'The performing lab',
    report,
  );
  if (arr(r['result']).length === 0 && arr(r['contained']).length === 0) {
    report(
      'diagnostic-report.result',
      'DiagnosticReport.result',
      'a report lists at least one observation',
      'required',
    );
  }
  arr(r['contained']).forEach((c, i) => {
    if (isObject(c) && c['resourceType'] === 'Observation')
      observationRules(c, `DiagnosticReport.contained[${i}]`, report);
  });
}

function appointmentRules(a: Json, report: Report): void {
  if (arr(a['slot']).length === 0)
    report('appointment.slot', 'Appointment.slot', 'the booked slot is required', 'required');
  const participants = arr(a['participant']).filter(isObject);
  const pi = participants.findIndex(
    (p) => isObject(p['actor']) && /^Patient\//.test(str((p['actor'] as Json)['reference']) ?? ''),
  );
  if (pi < 0) {
    report(
      'appointment.patient',
      'Appointment.participant',
      'a Patient participant is required',
      'required',
    );
  } else {
    checkPatientReference(
      participants[pi]!['actor'],
      `Appointment.participant[${pi}].actor`,
      report,
    );
  }
  arr(a['serviceType']).forEach((c, i) =>
    checkConcept(c, `Appointment.serviceType[${i}]`, undefined, report),
  );
}

const isOrganisationActor = (a: Json): boolean =>
  a['type'] === 'Organization' ||
  /^Organization\//.test(str(a['reference']) ?? '') ||
  (isObject(a['identifier']) && a['identifier']['system'] === ODS_ORGANISATION_SYSTEM);

const isPractitionerActor = (a: Json): boolean =>
  a['type'] === 'Practitioner' ||
  /^Practitioner\//.test(str(a['reference']) ?? '') ||
  (isObject(a['identifier']) &&
    (a['identifier']['system'] === SDS_USER_SYSTEM || a['identifier']['system'] === GMC_SYSTEM));

function scheduleRules(s: Json, report: Report): void {
  const actors = arr(s['actor']).filter(isObject);
  const orgs = actors.map((a, i) => ({ a, i })).filter(({ a }) => isOrganisationActor(a));
  if (orgs.length !== 1) {
    report(
      'schedule.actor',
      'Schedule.actor',
      `exactly one Organization actor (identifier ${ODS_ORGANISATION_SYSTEM}) is required, got ${orgs.length}`,
      'required',
    );
  } else {
    checkOdsReference(
      orgs[0]!.a,
      `Schedule.actor[${orgs[0]!.i}]`,
      'schedule.actor',
      'The organisation',
      report,
    );
  }
  actors.forEach((a, i) => {
    if (isOrganisationActor(a)) return;
    const ident = isObject(a['identifier']) ? a['identifier'] : undefined;
    if (
      !isPractitionerActor(a) ||
      !ident ||
      (ident['system'] !== SDS_USER_SYSTEM && ident['system'] !== GMC_SYSTEM) ||
      !/^[A-Za-z0-9._:|/-]{1,64}$/.test(str(ident['value']) ?? '')
    ) {
      report(
        'schedule.practitioner',
        `Schedule.actor[${i}]`,
        `other actors must be a Practitioner identified by ${SDS_USER_SYSTEM} or ${GMC_SYSTEM}`,
      );
    }
  });
  const service = arr(s['serviceType'])[0];
  const code = isObject(service)
    ? (str(codings(service)[0]?.['code']) ?? str(service['text']))
    : undefined;
  if (!code || !/^[A-Za-z0-9._:|/-]{1,128}$/.test(code)) {
    report(
      'schedule.service-type',
      'Schedule.serviceType[0]',
      'the service type is required as a code (serviceType[0].coding[0].code, or a text of letters, digits, . _ : | / -)',
      code ? 'value' : 'required',
    );
  }
  arr(s['serviceType']).forEach((c, i) =>
    checkConcept(c, `Schedule.serviceType[${i}]`, undefined, report),
  );
  const ids = arr(s['identifier']).filter(
    (i) => isObject(i) && i['system'] === SCHEDULE_REQUEST_ID_SYSTEM,
  ) as Json[];
  if (ids.length > 1 || (ids[0] && !/^[A-Za-z0-9._:-]{8,128}$/.test(str(ids[0]['value']) ?? ''))) {
    report(
      'schedule.identifier',
      'Schedule.identifier',
      `at most one ${SCHEDULE_REQUEST_ID_SYSTEM} identifier, 8-128 letters, digits, . _ : -`,
    );
  }
}

function slotRules(s: Json, mode: 'create' | 'update', report: Report): void {
  const schedule = isObject(s['schedule']) ? str(s['schedule']['reference']) : undefined;
  if (!schedule || !/^Schedule\/[A-Za-z0-9-]{1,64}$/.test(schedule)) {
    report(
      'slot.schedule',
      'Slot.schedule.reference',
      'the slot must reference its schedule as Schedule/<id>',
      'required',
    );
  }
  const status = str(s['status']);
  if (
    mode === 'create' &&
    status !== undefined &&
    status !== 'free' &&
    status !== 'busy-unavailable'
  ) {
    report(
      'slot.status',
      'Slot.status',
      `a new slot is free or busy-unavailable, not ${status} (bookings make slots busy)`,
      'business-rule',
    );
  }
  const start = Date.parse(str(s['start']) ?? '');
  const end = Date.parse(str(s['end']) ?? '');
  if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) {
    report('slot.period', 'Slot.end', 'end must be after start', 'business-rule');
  }
  const ids = arr(s['identifier']).filter(
    (i) => isObject(i) && i['system'] === SLOT_REQUEST_ID_SYSTEM,
  ) as Json[];
  if (ids.length > 1 || (ids[0] && !/^[A-Za-z0-9._:-]{8,128}$/.test(str(ids[0]['value']) ?? ''))) {
    report(
      'slot.identifier',
      'Slot.identifier',
      `at most one ${SLOT_REQUEST_ID_SYSTEM} identifier, 8-128 letters, digits, . _ : -`,
    );
  }
}

/** Trellis rules for one resource (structure is checked separately by the FHIR validator). */
export function trellisRules(
  resource: Json,
  ctx: RuleContext,
  mode: 'create' | 'update' = 'create',
): FhirIssue[] {
  const issues: FhirIssue[] = [];
  const report: Report = (rule, expression, message, code = 'value') =>
    issues.push({ severity: 'error', code, rule, expression, message });
  switch (resource['resourceType']) {
    case 'Patient':
      patientRules(resource, ctx, mode, report);
      break;
    case 'ServiceRequest':
      serviceRequestRules(resource, mode, report);
      break;
    case 'Observation':
      observationRules(resource, 'Observation', report);
      break;
    case 'DiagnosticReport':
      diagnosticReportRules(resource, mode, report);
      break;
    case 'Appointment':
      appointmentRules(resource, report);
      break;
    case 'Schedule':
      scheduleRules(resource, report);
      break;
    case 'Slot':
      slotRules(resource, mode, report);
      break;
    default:
      break;
  }
  return issues;
}
