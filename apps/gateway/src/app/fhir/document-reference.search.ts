import { RECORD_TYPES, SNOMED_SYSTEM } from '@trellis/codes';
import { records, toTimestamp } from '@trellis/contracts';
import { FhirError, NHS_NUMBER_SYSTEM, ODS_ORGANISATION_SYSTEM } from '@trellis/fhir';

import {
  clip,
  dateWindow,
  PATIENT_MODIFIERS,
  readPatientParam,
  type FhirSearchParam,
  type SearchQuery,
} from './fhir.search';

const { PointerStatus } = records.v1;

/** The patient criteria a pointer search accepts (NRL: subject:identifier; also patient). */
export const PATIENT_CRITERIA = ['subject', 'patient', 'patient.identifier'] as const;

export function patientOfParam(name: string, value: string, modifier: string | undefined): string {
  return name === 'patient.identifier'
    ? readPatientParam(value, 'identifier', name)
    : readPatientParam(value, modifier, name);
}

const STATUS_SYSTEM = 'http://hl7.org/fhir/document-reference-status';
const STATUS_PARAM: Record<string, records.v1.PointerStatus> = {
  current: PointerStatus.POINTER_STATUS_CURRENT,
  superseded: PointerStatus.POINTER_STATUS_SUPERSEDED,
  'entered-in-error': PointerStatus.POINTER_STATUS_DELETED,
};

const TYPE_CODES = RECORD_TYPES.map((t) => `${t.code} (${t.display})`).join(', ');

/** DocumentReference search parameters (NRL's consumer search), declared once for every door. */
export const POINTER_SEARCH_PARAMS: readonly FhirSearchParam[] = [
  {
    name: 'subject',
    type: 'reference',
    modifiers: PATIENT_MODIFIERS,
    documentation: `The patient (one patient criterion is required): subject:identifier=${NHS_NUMBER_SYSTEM}|<NHS number> (as NRL), or Patient/<NHS number>`,
  },
  {
    name: 'patient',
    type: 'reference',
    modifiers: PATIENT_MODIFIERS,
    documentation: `The patient: Patient/<NHS number>, <NHS number> or patient:identifier=${NHS_NUMBER_SYSTEM}|<NHS number>`,
  },
  {
    name: 'patient.identifier',
    type: 'token',
    documentation: `The patient by identifier: ${NHS_NUMBER_SYSTEM}|<NHS number>`,
  },
  {
    name: 'type',
    type: 'token',
    or: true,
    documentation: `Record type(s), ${SNOMED_SYSTEM}|<code> or <code>, comma-separated = or: ${TYPE_CODES}`,
  },
  {
    name: 'custodian',
    type: 'reference',
    modifiers: ['identifier'],
    documentation: `The organisation holding the document (as NRL): custodian:identifier=${ODS_ORGANISATION_SYSTEM}|<ODS code>`,
  },
  {
    name: 'date',
    type: 'date',
    and: true,
    documentation:
      'When the pointer was registered (DocumentReference.date), with prefixes eq (default), ge, gt, le, lt at any precision; repetitions narrow the window',
  },
  {
    name: 'status',
    type: 'token',
    or: true,
    documentation:
      'current (the default when absent), superseded or entered-in-error (retired by the custodian); comma-separated = or',
  },
];

/** The SearchPointers request a FHIR search asks for (without the page); null when nothing can match. */
export type PointerSearch = Omit<records.v1.SearchPointersRequest, 'page'>;

const refuse = (rule: string, message: string, expression: string) =>
  FhirError.of(400, 'value', rule, message, expression);

/** Token value `system|code` or `code`: the code when the system (if any) is `system`. */
function code(value: string, system: string, name: string, what: string): string {
  const bar = value.indexOf('|');
  if (bar >= 0 && value.slice(0, bar) !== system && value.slice(0, bar) !== '')
    throw refuse(`search.${name}`, `${name}=${clip(value)}: ${what} are ${system} codes`, name);
  return bar >= 0 ? value.slice(bar + 1) : value;
}

/** A validated DocumentReference search → the record locator's request (400 on what it cannot take). */
export function pointerSearchFromFhir(search: SearchQuery): PointerSearch | null {
  const patients = new Set<string>();
  let named = 0;
  for (const name of PATIENT_CRITERIA) {
    for (const clause of search.all(name)) {
      named++;
      for (const v of clause.values) patients.add(patientOfParam(name, v, clause.modifier));
    }
  }
  if (named === 0)
    throw FhirError.of(
      400,
      'required',
      'search.patient',
      `a patient is required: subject:identifier=${NHS_NUMBER_SYSTEM}|<NHS number> (or patient, patient.identifier)`,
      'subject',
    );
  const typeCodes = search
    .values('type')
    .map((v) => code(v, SNOMED_SYSTEM, 'type', 'record types'));
  let custodianOdsCode = '';
  for (const clause of search.all('custodian')) {
    if (clause.modifier !== 'identifier')
      throw refuse(
        'search.custodian',
        `custodian names an organisation by identifier: custodian:identifier=${ODS_ORGANISATION_SYSTEM}|<ODS code>`,
        'custodian',
      );
    custodianOdsCode = code(clause.values[0]!, ODS_ORGANISATION_SYSTEM, 'custodian', 'custodians');
  }
  const statuses = search.values('status').map((v) => {
    const s = STATUS_PARAM[code(v, STATUS_SYSTEM, 'status', 'statuses')];
    if (s === undefined)
      throw refuse(
        'search.status',
        `status=${clip(v)}: current, superseded or entered-in-error`,
        'status',
      );
    return s;
  });
  const window = dateWindow(search.values('date'), 'date');
  if (patients.size > 1 || window.empty) return null;
  return {
    nhsNumber: [...patients][0]!,
    typeCodes,
    custodianOdsCode,
    statuses,
    dateFrom: window.from ? toTimestamp(window.from) : undefined,
    dateBefore: window.to ? toTimestamp(window.to) : undefined,
  };
}

/** The search parameter a SearchPointers field violation is about. */
export function pointerSearchField(field: string): string | undefined {
  if (field.startsWith('type_codes')) return 'type';
  if (field.startsWith('statuses')) return 'status';
  if (field === 'custodian_ods_code') return 'custodian';
  if (field.startsWith('date_')) return 'date';
  if (field === 'nhs_number') return 'subject';
  if (field === 'page.page_token') return '_page_token';
  if (field === 'page.page_size') return '_count';
  return undefined;
}
