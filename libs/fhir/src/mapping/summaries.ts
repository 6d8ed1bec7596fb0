import type { Appointment, DiagnosticReport, ServiceRequest } from '@medplum/fhirtypes';
import { appointments, fromTimestamp, referrals, results } from '@trellis/contracts';
import {
  LOINC_SYSTEM,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  SNOMED_CT_SYSTEM,
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

/** results.v1.Report → FHIR DiagnosticReport (observations summarised by reference). */
export function reportToFhir(r: results.v1.Report): DiagnosticReport {
  const key = results.v1.reportStatusToJSON(r.status).replace('REPORT_STATUS_', '');
  const system =
    r.code?.system === results.v1.CodeSystem.CODE_SYSTEM_LOINC ? LOINC_SYSTEM : SNOMED_CT_SYSTEM;
  const issued = iso(r.issued);
  return {
    resourceType: 'DiagnosticReport',
    id: r.id,
    meta: { versionId: String(r.version) },
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
  };
}
