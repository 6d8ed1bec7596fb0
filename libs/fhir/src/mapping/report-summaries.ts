import type { DiagnosticReport, Observation } from '@medplum/fhirtypes';
import { results, toTimestamp } from '@trellis/contracts';
import {
  LOINC_SYSTEM,
  NHS_NUMBER_SYSTEM,
  REGION_EXTENSION,
  SNOMED_CT_SYSTEM,
  UCUM_SYSTEM,
} from '../systems';

import { iso, org, patientRef } from './summary-common';

// DiagnosticReport and Observation <-> the results platform's reports
const REPORT_STATUS: Record<string, DiagnosticReport['status']> = {
  PRELIMINARY: 'preliminary',
  FINAL: 'final',
  AMENDED: 'amended',
  CORRECTED: 'corrected',
  APPENDED: 'appended',
  CANCELLED: 'cancelled',
};
/** Observation has no "appended": an appended report's observations read as amended. */
const OBSERVATION_STATUS: Record<string, Observation['status']> = {
  PRELIMINARY: 'preliminary',
  FINAL: 'final',
  AMENDED: 'amended',
  CORRECTED: 'corrected',
  APPENDED: 'amended',
  CANCELLED: 'cancelled',
};
/** Report category (HL7 v2 table 0074): pathology LAB, imaging RAD. */
export const REPORT_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0074';
/** Why a version replaces the previous one (amended, corrected, appended, cancelled): valueString. */
export const VERSION_REASON_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/version-reason';

const INTERPRETATION: Record<number, { code: string; display: string } | undefined> = {
  [results.v1.Interpretation.INTERPRETATION_NORMAL]: { code: 'N', display: 'Normal' },
  [results.v1.Interpretation.INTERPRETATION_LOW]: { code: 'L', display: 'Low' },
  [results.v1.Interpretation.INTERPRETATION_HIGH]: { code: 'H', display: 'High' },
  [results.v1.Interpretation.INTERPRETATION_CRITICAL_LOW]: { code: 'LL', display: 'Critical low' },
  [results.v1.Interpretation.INTERPRETATION_CRITICAL_HIGH]: {
    code: 'HH',
    display: 'Critical high',
  },
  [results.v1.Interpretation.INTERPRETATION_ABNORMAL]: { code: 'A', display: 'Abnormal' },
};
const quantity = (q: results.v1.Quantity | undefined) =>
  q ? { value: q.value, unit: q.unit, system: UCUM_SYSTEM, code: q.unit } : undefined;
const coding = (c: results.v1.Coding | undefined) =>
  c?.code
    ? {
        coding: [
          {
            system:
              c.system === results.v1.CodeSystem.CODE_SYSTEM_LOINC
                ? LOINC_SYSTEM
                : SNOMED_CT_SYSTEM,
            code: c.code,
            ...(c.display ? { display: c.display } : {}),
          },
        ],
      }
    : { text: 'unknown' };

function observationToFhir(
  o: results.v1.Observation,
  i: number,
  r: results.v1.Report,
  status: Observation['status'],
): Observation {
  const interp = INTERPRETATION[o.interpretation];
  const low = quantity(o.referenceRange?.low);
  const high = quantity(o.referenceRange?.high);
  return {
    resourceType: 'Observation',
    id: `obs-${i}`,
    status,
    code: coding(o.code),
    subject: patientRef(r.nhsNumber),
    ...(o.valueQuantity ? { valueQuantity: quantity(o.valueQuantity)! } : {}),
    ...(o.valueCoded ? { valueCodeableConcept: coding(o.valueCoded) } : {}),
    ...(o.valueText ? { valueString: o.valueText } : {}),
    ...(!o.valueQuantity && !o.valueCoded && !o.valueText
      ? { dataAbsentReason: { text: 'not reported' } }
      : {}),
    ...(interp
      ? {
          interpretation: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                  ...interp,
                },
              ],
            },
          ],
        }
      : {}),
    ...(low || high || o.referenceRange?.text
      ? {
          referenceRange: [
            {
              ...(low ? { low } : {}),
              ...(high ? { high } : {}),
              ...(o.referenceRange?.text ? { text: o.referenceRange.text } : {}),
            },
          ],
        }
      : {}),
    ...(o.note ? { note: [{ text: o.note }] } : {}),
  };
}

export const ACKNOWLEDGEMENT_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/result-acknowledgement';

/** results.v1.Report → FHIR DiagnosticReport (observations contained, acknowledgement as extension). */
export function reportToFhir(r: results.v1.Report): DiagnosticReport {
  const key = results.v1.reportStatusToJSON(r.status).replace('REPORT_STATUS_', '');
  const system =
    r.code?.system === results.v1.CodeSystem.CODE_SYSTEM_LOINC ? LOINC_SYSTEM : SNOMED_CT_SYSTEM;
  const issued = iso(r.issued);
  const category =
    r.category === results.v1.ReportCategory.REPORT_CATEGORY_PATHOLOGY
      ? { system: REPORT_CATEGORY_SYSTEM, code: 'LAB', display: 'Laboratory' }
      : r.category === results.v1.ReportCategory.REPORT_CATEGORY_RADIOLOGY
        ? { system: REPORT_CATEGORY_SYSTEM, code: 'RAD', display: 'Radiology' }
        : undefined;
  const extension = reportExtensions(r);
  return {
    resourceType: 'DiagnosticReport',
    id: r.id,
    meta: {
      versionId: String(r.version),
      ...(iso(r.receivedAt) ? { lastUpdated: iso(r.receivedAt)! } : {}),
    },
    identifier: [{ system: LAB_REPORT_ID_SYSTEM, value: r.labReportId }],
    status: REPORT_STATUS[key] ?? 'unknown',
    code: r.code?.code
      ? {
          coding: [
            { system, code: r.code.code, ...(r.code.display ? { display: r.code.display } : {}) },
          ],
        }
      : { text: 'unknown' },
    ...(r.referralId ? { basedOn: [{ reference: `ServiceRequest/${r.referralId}` }] } : {}),
    ...(category ? { category: [{ coding: [category] }] } : {}),
    subject: patientRef(r.nhsNumber),
    ...(issued ? { issued } : {}),
    ...(r.performingLab?.odsCode ? { performer: [org(r.performingLab.odsCode)] } : {}),
    ...(r.conclusion ? { conclusion: r.conclusion } : {}),
    ...(r.observations.length
      ? {
          contained: r.observations.map((o, i) =>
            observationToFhir(o, i, r, OBSERVATION_STATUS[key] ?? 'unknown'),
          ),
          result: r.observations.map((_o, i) => ({ reference: `#obs-${i}` })),
        }
      : {}),
    ...(extension.length ? { extension } : {}),
  };
}

/** A report's extensions: acknowledgement, requester, version reason (in that order). */
function reportExtensions(r: results.v1.Report): NonNullable<DiagnosticReport['extension']> {
  const rq = r.requester;
  const requester = rq?.organisation?.odsCode
    ? [
        {
          url: REPORT_REQUESTER_EXTENSION,
          extension: [
            {
              url: 'organization',
              valueReference: {
                ...org(rq.organisation.odsCode),
                ...(rq.organisation.region
                  ? { extension: [{ url: REGION_EXTENSION, valueCode: rq.organisation.region }] }
                  : {}),
              },
            },
            ...(rq.practitionerId
              ? [
                  {
                    url: 'practitioner',
                    valueIdentifier: {
                      ...(rq.practitionerSystem ? { system: rq.practitionerSystem } : {}),
                      value: rq.practitionerId,
                    },
                  },
                ]
              : []),
          ],
        },
      ]
    : [];
  const reason = r.versionReason
    ? [{ url: VERSION_REASON_EXTENSION, valueString: r.versionReason }]
    : [];
  return [
    ...(r.acknowledgement
      ? [
          {
            url: ACKNOWLEDGEMENT_EXTENSION,
            extension: [
              { url: 'version', valueInteger: r.acknowledgement.version },
              { url: 'organisation', valueString: r.acknowledgement.odsCode },
              ...(iso(r.acknowledgement.acknowledgedAt)
                ? [{ url: 'at', valueDateTime: iso(r.acknowledgement.acknowledgedAt)! }]
                : []),
            ],
          },
        ]
      : []),
    ...requester,
    ...reason,
  ];
}

export const LAB_REPORT_ID_SYSTEM = 'https://fhir.trellis.nhs.uk/Id/lab-report-id';
/**
 * Who requested a submitted report: complex extension with `organization` (valueReference with an
 * ODS identifier and optional region extension) and `practitioner` (valueIdentifier, GMC/SDS id).
 */
export const REPORT_REQUESTER_EXTENSION =
  'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester';

const REPORT_STATUS_FROM_FHIR: Record<string, results.v1.ReportStatus> = {
  preliminary: results.v1.ReportStatus.REPORT_STATUS_PRELIMINARY,
  partial: results.v1.ReportStatus.REPORT_STATUS_PRELIMINARY,
  final: results.v1.ReportStatus.REPORT_STATUS_FINAL,
  amended: results.v1.ReportStatus.REPORT_STATUS_AMENDED,
  corrected: results.v1.ReportStatus.REPORT_STATUS_CORRECTED,
  appended: results.v1.ReportStatus.REPORT_STATUS_APPENDED,
  cancelled: results.v1.ReportStatus.REPORT_STATUS_CANCELLED,
};
const INTERPRETATION_FROM_FHIR: Record<string, results.v1.Interpretation> = {
  N: results.v1.Interpretation.INTERPRETATION_NORMAL,
  L: results.v1.Interpretation.INTERPRETATION_LOW,
  H: results.v1.Interpretation.INTERPRETATION_HIGH,
  LL: results.v1.Interpretation.INTERPRETATION_CRITICAL_LOW,
  HH: results.v1.Interpretation.INTERPRETATION_CRITICAL_HIGH,
  A: results.v1.Interpretation.INTERPRETATION_ABNORMAL,
};
type FhirConcept = { coding?: Array<{ system?: string; code?: string; display?: string }> };
const codingFromFhir = (c: FhirConcept | undefined): results.v1.Coding | undefined => {
  const x =
    c?.coding?.find((k) => k.system === LOINC_SYSTEM || k.system === SNOMED_CT_SYSTEM) ??
    c?.coding?.[0];
  if (!x?.code) return undefined;
  return {
    system:
      x.system === LOINC_SYSTEM
        ? results.v1.CodeSystem.CODE_SYSTEM_LOINC
        : x.system === SNOMED_CT_SYSTEM
          ? results.v1.CodeSystem.CODE_SYSTEM_SNOMED_CT
          : results.v1.CodeSystem.CODE_SYSTEM_UNSPECIFIED,
    code: x.code,
    display: x.display ?? '',
  };
};
const quantityFromFhir = (
  q: { value?: number; unit?: string; code?: string } | undefined,
): results.v1.Quantity | undefined =>
  q?.value === undefined ? undefined : { value: q.value, unit: q.code ?? q.unit ?? '' };

function observationFromFhir(o: Observation): results.v1.Observation {
  const rr = o.referenceRange?.[0];
  const low = quantityFromFhir(rr?.low);
  const high = quantityFromFhir(rr?.high);
  const interp = o.interpretation?.[0]?.coding?.[0]?.code;
  return {
    code: codingFromFhir(o.code),
    ...(o.valueQuantity ? { valueQuantity: quantityFromFhir(o.valueQuantity) } : {}),
    ...(o.valueCodeableConcept ? { valueCoded: codingFromFhir(o.valueCodeableConcept) } : {}),
    ...(o.valueString !== undefined ? { valueText: o.valueString } : {}),
    referenceRange:
      low || high || rr?.text
        ? { ...(low ? { low } : {}), ...(high ? { high } : {}), text: rr?.text ?? '' }
        : undefined,
    interpretation:
      (interp ? INTERPRETATION_FROM_FHIR[interp] : undefined) ??
      results.v1.Interpretation.INTERPRETATION_UNSPECIFIED,
    note: o.note?.map((n) => n.text).join('\n') ?? '',
  };
}

/**
 * A validated FHIR DiagnosticReport (observations contained, referenced from `result`) → results
 * ReportInput: identifier (lab report id = idempotency key), category (LAB/RAD), code, status,
 * performer (lab ODS), requester (extension), basedOn (referral), issued, conclusion.
 */
export function submitReportFromFhir(d: DiagnosticReport): results.v1.ReportInput {
  const nhs =
    d.subject?.reference?.replace(/^Patient\//, '') ??
    (d.subject?.identifier?.system === NHS_NUMBER_SYSTEM ? d.subject.identifier.value : '') ??
    '';
  const categoryCode = d.category?.flatMap((c) => c.coding ?? []).map((c) => c.code);
  const contained = (d.contained ?? []).filter(
    (c): c is Observation => c.resourceType === 'Observation',
  );
  const byRef = new Map(contained.map((o) => [`#${o.id ?? ''}`, o]));
  const ordered = d.result?.length
    ? d.result.map((r) => byRef.get(r.reference ?? '')).filter((o): o is Observation => !!o)
    : contained;
  const requesterExt = d.extension?.find((e) => e.url === REPORT_REQUESTER_EXTENSION)?.extension;
  const requester = requesterExt?.find((e) => e.url === 'organization')?.valueReference;
  const practitioner = requesterExt?.find((e) => e.url === 'practitioner')?.valueIdentifier;
  const requesterRegion =
    requester?.extension?.find((e) => e.url === REGION_EXTENSION)?.valueCode ?? '';
  const referral = d.basedOn
    ?.map((b) => b.reference ?? '')
    .find((r) => r.startsWith('ServiceRequest/'));
  return {
    labReportId:
      (d.identifier?.find((i) => i.system === LAB_REPORT_ID_SYSTEM) ?? d.identifier?.[0])?.value ??
      '',
    nhsNumber: nhs,
    category: categoryCode?.includes('RAD')
      ? results.v1.ReportCategory.REPORT_CATEGORY_RADIOLOGY
      : categoryCode?.includes('LAB')
        ? results.v1.ReportCategory.REPORT_CATEGORY_PATHOLOGY
        : results.v1.ReportCategory.REPORT_CATEGORY_UNSPECIFIED,
    code: codingFromFhir(d.code),
    status: REPORT_STATUS_FROM_FHIR[d.status] ?? results.v1.ReportStatus.REPORT_STATUS_UNSPECIFIED,
    performingLabOdsCode: d.performer?.[0]?.identifier?.value ?? '',
    requester: requester?.identifier?.value
      ? {
          organisation: { odsCode: requester.identifier.value, region: requesterRegion },
          practitionerId: practitioner?.value ?? '',
          practitionerSystem: practitioner?.system ?? '',
        }
      : undefined,
    referralId: referral?.replace(/^ServiceRequest\//, '') ?? '',
    issued: d.issued ? toTimestamp(new Date(d.issued)) : undefined,
    conclusion: d.conclusion ?? '',
    observations: ordered.map(observationFromFhir),
    versionReason: d.extension?.find((e) => e.url === VERSION_REASON_EXTENSION)?.valueString ?? '',
  };
}

/** The id of a report's i-th observation served as a standalone Observation. */
export function observationId(reportId: string, index: number): string {
  return `${reportId}-obs-${index}`;
}

/** `<report id>-obs-<index>` → its parts; undefined when the id is not of that shape. */
export function parseObservationId(id: string): { reportId: string; index: number } | undefined {
  const m = /^([A-Za-z0-9.-]+)-obs-(\d{1,4})$/.exec(id);
  return m ? { reportId: m[1]!, index: Number(m[2]) } : undefined;
}

/**
 * A report's observations as standalone FHIR Observations (id `<report id>-obs-<i>`, the report's
 * version, issued time and performing lab), for Observation read and search.
 */
export function reportObservationsToFhir(r: results.v1.Report): Observation[] {
  const d = reportToFhir(r);
  const issued = iso(r.issued);
  return (d.contained ?? []).map((c, i) => {
    const o = c as Observation;
    return {
      ...o,
      id: observationId(r.id, i),
      meta: d.meta,
      ...(r.category === results.v1.ReportCategory.REPORT_CATEGORY_PATHOLOGY ||
      r.category === results.v1.ReportCategory.REPORT_CATEGORY_RADIOLOGY
        ? {
            category: [
              {
                coding: [
                  {
                    system: 'http://terminology.hl7.org/CodeSystem/observation-category',
                    code:
                      r.category === results.v1.ReportCategory.REPORT_CATEGORY_PATHOLOGY
                        ? 'laboratory'
                        : 'imaging',
                  },
                ],
              },
            ],
          }
        : {}),
      ...(issued ? { issued } : {}),
      ...(d.performer ? { performer: d.performer } : {}),
    };
  });
}
