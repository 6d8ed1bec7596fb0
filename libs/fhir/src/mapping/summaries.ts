import type { Appointment, Schedule, ServiceRequest, Slot } from '@medplum/fhirtypes';
import { appointments, referrals, toTimestamp } from '@trellis/contracts';
import {
  NHS_NUMBER_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  REFERRAL_REQUEST_ID_SYSTEM,
  REGION_EXTENSION,
  SCHEDULE_REQUEST_ID_SYSTEM,
  SLOT_REQUEST_ID_SYSTEM,
  SDS_USER_SYSTEM,
  GMC_SYSTEM,
  SNOMED_CT_SYSTEM,
} from '../systems';

import { attachmentsFromFhir, referralExtensions, supportingInfoOf } from './referral-extensions';
import { iso, org, patientRef } from './summary-common';

export * from './report-summaries';

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
  RETURNED: 'revoked',
  COMPLETED: 'completed',
};

const PRIORITY_TO_FHIR: Record<number, ServiceRequest['priority'] | undefined> = {
  [referrals.v1.ReferralPriority.REFERRAL_PRIORITY_ROUTINE]: 'routine',
  [referrals.v1.ReferralPriority.REFERRAL_PRIORITY_URGENT]: 'urgent',
  [referrals.v1.ReferralPriority.REFERRAL_PRIORITY_TWO_WEEK_WAIT]: 'asap',
};

/** referrals.v1.Referral → FHIR ServiceRequest (e-RS / BaRS shape, status detail in businessStatus tag). */
export function referralToFhir(r: referrals.v1.Referral): ServiceRequest {
  const key = referrals.v1.referralStatusToJSON(r.status).replace('REFERRAL_STATUS_', '');
  const sent = iso(r.sentAt);
  const extension = referralExtensions(r);
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
    ...(r.idempotencyKey
      ? { identifier: [{ system: REFERRAL_REQUEST_ID_SYSTEM, value: r.idempotencyKey }] }
      : {}),
    ...(extension.length ? { extension } : {}),
    ...(r.basedOnReferralId
      ? { basedOn: [{ reference: `ServiceRequest/${r.basedOnReferralId}` }] }
      : {}),
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
    ...(PRIORITY_TO_FHIR[r.priority] ? { priority: PRIORITY_TO_FHIR[r.priority] } : {}),
    ...(r.target?.specialtyCode
      ? { category: [{ coding: [{ code: r.target.specialtyCode }] }] }
      : {}),
    ...(sent ? { authoredOn: sent } : {}),
    ...(r.referrer?.odsCode ? { requester: org(r.referrer.odsCode) } : {}),
    ...(r.target?.odsCode
      ? {
          performer: [
            {
              ...org(r.target.odsCode),
              ...(r.target.region
                ? { extension: [{ url: REGION_EXTENSION, valueCode: r.target.region }] }
                : {}),
            },
          ],
        }
      : {}),
    ...(r.clinicalSummary ? { note: [{ text: r.clinicalSummary }] } : {}),
    ...(r.attachments.length ? { supportingInfo: supportingInfoOf(r) } : {}),
  };
}

const SLOT_STATUS: Record<number, 'free' | 'busy' | 'busy-unavailable' | undefined> = {
  [appointments.v1.SlotStatus.SLOT_STATUS_FREE]: 'free',
  [appointments.v1.SlotStatus.SLOT_STATUS_BUSY]: 'busy',
  [appointments.v1.SlotStatus.SLOT_STATUS_BUSY_UNAVAILABLE]: 'busy-unavailable',
};

/** appointments.v1.Slot → FHIR Slot. */
export function slotToFhir(s: appointments.v1.Slot): Slot {
  const updated = iso(s.updatedAt);
  return {
    resourceType: 'Slot',
    id: s.id,
    ...(s.version
      ? { meta: { versionId: String(s.version), ...(updated ? { lastUpdated: updated } : {}) } }
      : {}),
    ...(s.idempotencyKey
      ? { identifier: [{ system: SLOT_REQUEST_ID_SYSTEM, value: s.idempotencyKey }] }
      : {}),
    schedule: { reference: `Schedule/${s.scheduleId}` },
    status: SLOT_STATUS[s.status] ?? 'busy-unavailable',
    start: iso(s.start) ?? new Date(0).toISOString(),
    end: iso(s.end) ?? new Date(0).toISOString(),
    ...(s.serviceType ? { serviceType: [{ text: s.serviceType }] } : {}),
  };
}

/** appointments.v1.Schedule → FHIR Schedule (actor = owning organisation). */
export function scheduleToFhir(s: appointments.v1.Schedule): Schedule {
  const created = iso(s.createdAt);
  return {
    resourceType: 'Schedule',
    id: s.id,
    // schedules are immutable once created: always version 1
    meta: { versionId: '1', ...(created ? { lastUpdated: created } : {}) },
    ...(s.idempotencyKey
      ? { identifier: [{ system: SCHEDULE_REQUEST_ID_SYSTEM, value: s.idempotencyKey }] }
      : {}),
    active: true,
    actor: [
      org(s.odsCode),
      ...(s.practitionerId
        ? [
            {
              type: 'Practitioner' as const,
              // the platform keeps the id, not its system (SDS user id or GMC number)
              identifier: { value: s.practitionerId },
            },
          ]
        : []),
    ],
    ...(s.serviceType ? { serviceType: [{ text: s.serviceType }] } : {}),
    ...(s.specialty ? { specialty: [{ text: s.specialty }] } : {}),
    ...(s.name ? { comment: s.name } : {}),
  };
}

const codeOf = (c: { coding?: { code?: string }[]; text?: string } | undefined) =>
  c?.coding?.find((x) => x.code)?.code ?? c?.text ?? '';

/**
 * A validated FHIR Schedule → appointments CreateSchedule: the Organization actor's ODS code
 * (must be the caller's; the platform refuses another), its region extension (default the
 * caller's), the Practitioner actor's identifier, serviceType[0] and specialty[0] codes (or
 * text), comment as the name, the schedule-request identifier as the idempotency key.
 */
export function scheduleFromFhir(s: Schedule): appointments.v1.CreateScheduleRequest {
  const organisation = s.actor?.find(
    (a) =>
      a.type === 'Organization' ||
      a.reference?.startsWith('Organization/') ||
      a.identifier?.system === ODS_ORGANISATION_SYSTEM,
  );
  const practitioner = s.actor?.find(
    (a) =>
      a !== organisation &&
      (a.identifier?.system === SDS_USER_SYSTEM || a.identifier?.system === GMC_SYSTEM),
  );
  return {
    odsCode: organisation?.identifier?.value ?? '',
    serviceType: codeOf(s.serviceType?.[0]),
    specialty: codeOf(s.specialty?.[0]),
    practitionerId: practitioner?.identifier?.value ?? '',
    region: organisation?.extension?.find((e) => e.url === REGION_EXTENSION)?.valueCode ?? '',
    bookableByOdsCodes: [],
    bookableByOrgTypes: [],
    name: s.comment ?? '',
    idempotencyKey: s.identifier?.find((i) => i.system === SCHEDULE_REQUEST_ID_SYSTEM)?.value ?? '',
  };
}

/**
 * A validated FHIR Slot → appointments PublishSlots of that one slot; the slot-request identifier
 * is its idempotency key (`ifNoneExist`: an existing slot with that key is answered as it is).
 */
export function publishSlotFromFhir(
  s: Slot,
  opts: { ifNoneExist?: boolean } = {},
): appointments.v1.PublishSlotsRequest {
  return {
    ifNoneExist: opts.ifNoneExist ?? false,
    scheduleId: s.schedule.reference?.replace(/^Schedule\//, '') ?? '',
    slots: [
      {
        start: toTimestamp(new Date(s.start)),
        end: toTimestamp(new Date(s.end)),
        status:
          s.status === 'busy-unavailable'
            ? appointments.v1.SlotStatus.SLOT_STATUS_BUSY_UNAVAILABLE
            : s.status === 'busy'
              ? appointments.v1.SlotStatus.SLOT_STATUS_BUSY
              : appointments.v1.SlotStatus.SLOT_STATUS_FREE,
        idempotencyKey: slotRequestKey(s) ?? '',
      },
    ],
  };
}

/** The Slot's slot-request identifier value (its idempotency key), if any. */
export function slotRequestKey(s: Slot): string | undefined {
  return s.identifier?.find((i) => i.system === SLOT_REQUEST_ID_SYSTEM)?.value;
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
    attachments: attachmentsFromFhir(s),
  };
}
