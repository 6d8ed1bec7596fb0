// Step 4: the hospital publishes a clinic, sees the referral in its worklist, accepts it,
// searches free slots and books one; referrals react to AppointmentBooked.
import {
  HOSPITAL_SERVICE,
  HOSPITAL_SPECIALTY,
  type JourneyContext,
  type Parties,
} from '../context';
import { bundleIds, bundleResources, eventually, fhir, fhirReferralStatus } from '../fhir';

export interface Booked {
  worklistContainsReferral: boolean;
  acceptedStatus: number;
  freeSlots: number;
  appointmentId: string;
  bookStatus: number;
  referralStatusAfterBooking: string;
}

export async function bookAtHospital(
  { cfg, log }: JourneyContext,
  { gpToken, hospitalSys, hospitalToken }: Parties,
  { tag, nhsNumber, referralId }: { tag: string; nhsNumber: string; referralId: string },
): Promise<Booked> {
  log.step(
    'The hospital publishes a clinic, sees the referral in its worklist, accepts it, searches free slots and books one',
  );
  const day = 24 * 3600 * 1000;
  const base = new Date(Math.ceil((Date.now() + 2 * day) / 3_600_000) * 3_600_000);
  const scheduleBody = {
    resourceType: 'Schedule',
    actor: [
      {
        type: 'Organization',
        identifier: {
          system: 'https://fhir.nhs.uk/Id/ods-organization-code',
          value: hospitalSys.odsCode,
        },
      },
    ],
    serviceType: [{ coding: [{ code: HOSPITAL_SERVICE }], text: HOSPITAL_SERVICE }],
    specialty: [{ text: HOSPITAL_SPECIALTY }],
    comment: `Rapid access chest pain clinic ${tag}`,
  };
  log.sent(
    'POST /fhir/Schedule + 3 × POST /fhir/Slot — the hospital publishes capacity',
    scheduleBody,
  );
  const sched = await fhir(cfg.gatewayUrl, hospitalToken, 'POST', 'Schedule', scheduleBody);
  if (sched.status !== 201) throw new Error(`schedule refused: ${JSON.stringify(sched.body)}`);
  const scheduleId = String(sched.body['id']);
  for (const i of [0, 1, 2]) {
    const start = new Date(base.getTime() + i * day + (Number(tag) % 40) * 15 * 60_000);
    const slotBody = {
      resourceType: 'Slot',
      schedule: { reference: `Schedule/${scheduleId}` },
      status: 'free',
      start: start.toISOString(),
      end: new Date(start.getTime() + 30 * 60_000).toISOString(),
    };
    const made = await fhir(cfg.gatewayUrl, hospitalToken, 'POST', 'Slot', slotBody);
    if (made.status !== 201) throw new Error(`slot refused: ${JSON.stringify(made.body)}`);
  }
  log.received(`Schedule/${scheduleId} with 3 free slots`);

  const worklistPath = `ServiceRequest?performer=${hospitalSys.odsCode}&status=sent&priority=urgent&_count=100`;
  log.sent(`GET /fhir/${worklistPath} (the hospital's incoming worklist)`);
  const worklist = await eventually(
    'the referral in the worklist',
    () => fhir(cfg.gatewayUrl, hospitalToken, 'GET', worklistPath),
    (r) => bundleIds(r.body).includes(referralId),
    10_000,
  ).catch(() => ({ status: 0, body: {} }));
  const worklistContainsReferral = bundleIds(worklist.body).includes(referralId);
  log.received(
    `${bundleIds(worklist.body).length} urgent referral(s) waiting; ours ${worklistContainsReferral ? 'is' : 'is NOT'} among them`,
  );

  const acceptBody = {
    resourceType: 'Parameters',
    parameter: [{ name: 'note', valueString: 'Accepted for rapid access chest pain clinic' }],
  };
  log.sent(`POST /fhir/ServiceRequest/${referralId}/$accept (FHIR)`, acceptBody);
  const accepted = await fhir(
    cfg.gatewayUrl,
    hospitalToken,
    'POST',
    `ServiceRequest/${referralId}/$accept`,
    acceptBody,
  );
  log.received(
    `${accepted.status} ServiceRequest status=${String(accepted.body['status'] ?? '?')}`,
    accepted.status >= 300 ? accepted.body : undefined,
  );

  const slotPath = `Slot?service-type=${HOSPITAL_SERVICE}&organization=${hospitalSys.odsCode}&_count=20`;
  log.sent(`GET /fhir/${slotPath} (free slots, the next 14 days)`);
  const free = await fhir(cfg.gatewayUrl, hospitalToken, 'GET', slotPath);
  const freeSlots = bundleResources(free.body) as Array<{
    id: string;
    start: string;
    schedule?: { reference?: string };
  }>;
  const ours = freeSlots.filter((x) => x.schedule?.reference === `Schedule/${scheduleId}`);
  const slot = ours[0] ?? freeSlots[0];
  if (!slot) throw new Error(`no free slot found: ${JSON.stringify(free.body)}`);
  log.received(`${freeSlots.length} free slot(s); first: Slot/${slot.id} at ${slot.start}`);

  const bookBody = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'slot', valueReference: { reference: `Slot/${slot.id}` } },
      { name: 'patient', valueReference: { reference: `Patient/${nhsNumber}` } },
      { name: 'idempotency-key', valueString: `journey-book-${referralId}` },
      { name: 'referral', valueReference: { reference: `ServiceRequest/${referralId}` } },
    ],
  };
  log.sent('POST /fhir/Appointment/$book (FHIR)', bookBody);
  const booked = await fhir(cfg.gatewayUrl, hospitalToken, 'POST', 'Appointment/$book', bookBody);
  const appointmentId = String(booked.body['id'] ?? '');
  log.received(
    `${booked.status} Appointment/${appointmentId} status=${String(booked.body['status'] ?? '?')}`,
    booked.status >= 300 ? booked.body : undefined,
  );
  const afterBooking = await eventually(
    'the referral to become booked (AppointmentBooked → referrals)',
    () => fhir(cfg.gatewayUrl, gpToken, 'GET', `ServiceRequest/${referralId}`),
    (r) => fhirReferralStatus(r.body) === 'booked',
    20_000,
  ).catch(() => ({ status: 0, body: {} as Record<string, unknown> }));
  const referralStatusAfterBooking = fhirReferralStatus(afterBooking.body);
  log.received(
    `GET /fhir/ServiceRequest/${referralId}: referral is now "${referralStatusAfterBooking}" — set by referrals reacting to AppointmentBooked`,
  );
  return {
    worklistContainsReferral,
    acceptedStatus: accepted.status,
    freeSlots: freeSlots.length,
    appointmentId,
    bookStatus: booked.status,
    referralStatusAfterBooking,
  };
}
