import {
  LAB_REPORT_ID_SYSTEM,
  REPORT_CATEGORY_SYSTEM,
  REPORT_REQUESTER_EXTENSION,
  VERSION_REASON_EXTENSION,
} from '../mapping/summaries';
import {
  arr,
  checkConcept,
  checkOdsReference,
  checkPatientReference,
  checkQuantity,
  codings,
  isObject,
  type Json,
  type Report,
  str,
} from './checks';

export function observationRules(o: Json, path: string, report: Report): void {
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

export function diagnosticReportRules(r: Json, mode: 'create' | 'update', report: Report): void {
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
