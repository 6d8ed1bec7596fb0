import type {
  Appointment,
  DiagnosticReport,
  Observation,
  Schedule,
  ServiceRequest,
  Slot,
} from '@medplum/fhirtypes';
import { appointments, fromTimestamp, referrals, results } from '@trellis/contracts';
import {
  LOINC_SYSTEM,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  REFERRAL_REQUEST_ID_SYSTEM,
  REGION_EXTENSION,
  SNOMED_CT_SYSTEM,
  UCUM_SYSTEM,
} from '../systems';

type Ts = { seconds: number; nanos: number } | undefined;
const iso = (t: Ts) => (t ? fromTimestamp(t).toISOString() : undefined);
const patientRef = (nhs: string) => ({
  reference: `Patient/${nhs}`,
  identifier: { system: NHS_NUMBER_SYSTEM, value: nhs },
});
const org = (ods: string) => ({
  type: 'Organization' as const,
  identifier: { system: ODS_ORGANISATION_SYSTEM, value: ods },
});

const APPOINTMENT_STATUS: Record<string, Appointment['status']> = {
  BOOKED: 'booked',
  ARRIVED: 'arrived',
  FULFILLED: 'fulfilled',
  CANCELLED: 'cancelled',
  NOSHOW: 'noshow',
};

/** appointments.v1.Appointment → FHIR Appointment (for $everything and reads). */
export function appointmentToFhir(a: appointments.v1.Appointment): Appointment {
  const key = appointments.v1.appointmentStatusToJSON(a.status).replace('APPOINTMENT_STATUS_', '');
  const start = iso(a.start);
  const end = iso(a.end);
  return {
    resourceType: 'Appointment',
    id: a.id,
    meta: {
      versionId: String(a.version),
      ...(iso(a.updatedAt) ? { lastUpdated: iso(a.updatedAt)! } : {}),
    },
    status: APPOINTMENT_STATUS[key] ?? 'proposed',
    ...(a.serviceType ? { serviceType: [{ text: a.serviceType }] } : {}),
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    slot: a.slotId ? [{ reference: `Slot/${a.slotId}` }] : [],
    ...(a.referralId ? { basedOn: [{ reference: `ServiceRequest/${a.referralId}` }] } : {}),
    ...(a.cancellationReason ? { cancelationReason: { text: a.cancellationReason } } : {}),
    participant: [
      { actor: patientRef(a.nhsNumber), status: 'accepted' },
      ...(a.odsCode ? [{ actor: org(a.odsCode), status: 'accepted' as const }] : []),
    ],
  };
}

const REFERRAL_STATUS: Record<string, ServiceRequest['status']> = {
  SENT: 'active',
  ACCEPTED: 'active',
  BOOKED: 'active',
  ADVICE_GIVEN: 'on-hold',
  REJECTED: 'revoked',
  CANCELLED: 'revoked',
  COMPLETED: 'completed',
};

/** referrals.v1.Referral → FHIR ServiceRequest (e-RS / BaRS shape, status detail in businessStatus tag). */
export function referralToFhir(r: referrals.v1.Referral): ServiceRequest {
  const key = referrals.v1.referralStatusToJSON(r.status).replace('REFERRAL_STATUS_', '');
  const sent = iso(r.sentAt);
  return {
    resourceType: 'ServiceRequest',
    id: r.id,
    meta: {
      versionId: String(r.version),
      ...(iso(r.updatedAt) ? { lastUpdated: iso(r.updatedAt)! } : {}),
      tag: [
        {
          system: 'https://fhir.trellis.nhs.uk/CodeSystem/referral-status',
          code: key.toLowerCase(),
        },
      ],
    },
    status: REFERRAL_STATUS[key] ?? 'unknown',
    intent: 'order',
    subject: patientRef(r.nhsNumber),
    ...(r.reason?.code
      ? {
          code: {
            coding: [
              {
                system: SNOMED_CT_SYSTEM,
                code: r.reason.code,
                ...(r.reason.display ? { display: r.reason.display } : {}),
              },
            ],
          },
        }
      : {}),
    ...(sent ? { authoredOn: sent } : {}),
    ...(r.clinicalSummary ? { note: [{ text: r.clinicalSummary }] } : {}),
  };
}

const REPORT_STATUS: Record<string, DiagnosticReport['status']> = {
  PRELIMINARY: 'preliminary',
  FINAL: 'final',
  AMENDED: 'amended',
  CORRECTED: 'corrected',
  CANCELLED: 'cancelled',
};

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
  return {
    resourceType: 'DiagnosticReport',
    id: r.id,
    meta: {
      versionId: String(r.version),
      ...(iso(r.receivedAt) ? { lastUpdated: iso(r.receivedAt)! } : {}),
    },
    identifier: [{ system: 'https://fhir.trellis.nhs.uk/Id/lab-report-id', value: r.labReportId }],
    status: REPORT_STATUS[key] ?? 'unknown',
    code: r.code?.code
      ? {
          coding: [
            { system, code: r.code.code, ...(r.code.display ? { display: r.code.display } : {}) },
          ],
        }
      : { text: 'unknown' },
    subject: patientRef(r.nhsNumber),
    ...(issued ? { issued } : {}),
    ...(r.performingLab?.odsCode ? { performer: [org(r.performingLab.odsCode)] } : {}),
    ...(r.conclusion ? { conclusion: r.conclusion } : {}),
    ...(r.observations.length
      ? {
          contained: r.observations.map((o, i) =>
            observationToFhir(
              o,
              i,
              r,
              REPORT_STATUS[key] === 'cancelled'
                ? 'cancelled'
                : ((REPORT_STATUS[key] as Observation['status']) ?? 'unknown'),
            ),
          ),
          result: r.observations.map((_o, i) => ({ reference: `#obs-${i}` })),
        }
      : {}),
    ...(r.acknowledgement
      ? {
          extension: [
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
          ],
        }
      : {}),
  };
}

const SLOT_STATUS: Record<number, 'free' | 'busy' | 'busy-unavailable' | undefined> = {
  [appointments.v1.SlotStatus.SLOT_STATUS_FREE]: 'free',
  [appointments.v1.SlotStatus.SLOT_STATUS_BUSY]: 'busy',
  [appointments.v1.SlotStatus.SLOT_STATUS_BUSY_UNAVAILABLE]: 'busy-unavailable',
};

/** appointments.v1.Slot → FHIR Slot. */
export function slotToFhir(s: appointments.v1.Slot): Slot {
  return {
    resourceType: 'Slot',
    id: s.id,
    schedule: { reference: `Schedule/${s.scheduleId}` },
    status: SLOT_STATUS[s.status] ?? 'busy-unavailable',
    start: iso(s.start) ?? new Date(0).toISOString(),
    end: iso(s.end) ?? new Date(0).toISOString(),
    ...(s.serviceType ? { serviceType: [{ text: s.serviceType }] } : {}),
  };
}

/** appointments.v1.Schedule → FHIR Schedule (actor = owning organisation). */
export function scheduleToFhir(s: appointments.v1.Schedule): Schedule {
  return {
    resourceType: 'Schedule',
    id: s.id,
    active: true,
    actor: [org(s.odsCode)],
    ...(s.serviceType ? { serviceType: [{ text: s.serviceType }] } : {}),
    ...(s.specialty ? { specialty: [{ text: s.specialty }] } : {}),
    ...(s.name ? { comment: s.name } : {}),
  };
}

const PRIORITY_FROM_FHIR: Record<string, referrals.v1.ReferralPriority> = {
  routine: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_ROUTINE,
  urgent: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_URGENT,
  asap: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_TWO_WEEK_WAIT,
};

/**
 * A validated FHIR ServiceRequest → referrals SendReferral: subject (NHS number), requester
 * practitioner, performer (ODS + region extension), category (specialty), code (SNOMED CT reason),
 * priority, note (clinical summary), identifier (client request id = idempotency key).
 */
export function sendReferralFromFhir(s: ServiceRequest): referrals.v1.SendReferralRequest {
  const nhs =
    s.subject?.reference?.replace(/^Patient\//, '') ??
    (s.subject?.identifier?.system === NHS_NUMBER_SYSTEM ? s.subject.identifier.value : '') ??
    '';
  const performer = s.performer?.[0];
  const region = performer?.extension?.find((e) => e.url === REGION_EXTENSION)?.valueCode ?? '';
  const snomed = s.code?.coding?.find((c) => c.system === SNOMED_CT_SYSTEM);
  return {
    idempotencyKey: s.identifier?.find((i) => i.system === REFERRAL_REQUEST_ID_SYSTEM)?.value ?? '',
    nhsNumber: nhs,
    practitionerId: s.requester?.identifier?.value ?? '',
    target: {
      odsCode: performer?.identifier?.value ?? '',
      region,
      specialtyCode: s.category?.[0]?.coding?.[0]?.code ?? '',
    },
    priority:
      PRIORITY_FROM_FHIR[s.priority ?? 'routine'] ??
      referrals.v1.ReferralPriority.REFERRAL_PRIORITY_UNSPECIFIED,
    reason: { code: snomed?.code ?? '', display: snomed?.display ?? '' },
    clinicalSummary: s.note?.map((n) => n.text).join('\n') ?? '',
    attachments: [],
  };
}
