import {
  GMC_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  SCHEDULE_REQUEST_ID_SYSTEM,
  SDS_USER_SYSTEM,
  SLOT_REQUEST_ID_SYSTEM,
} from '../systems';
import {
  arr,
  checkConcept,
  checkOdsReference,
  checkPatientReference,
  codings,
  isObject,
  type Json,
  type Report,
  str,
} from './checks';

export function appointmentRules(a: Json, report: Report): void {
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

export function scheduleRules(s: Json, report: Report): void {
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

export function slotRules(s: Json, mode: 'create' | 'update', report: Report): void {
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
