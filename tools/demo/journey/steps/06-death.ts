// Step 6: the patient dies (test scenario): future appointments and open referrals are cancelled
// by the platforms reacting to PatientDeceased.
import type { JourneyContext, Parties } from '../context';
import { eventually, fhir, fhirReferralStatus } from '../fhir';

export interface AfterDeath {
  appointmentStatusAfterDeath: string;
  referralStatusAfterDeath: string;
}

export async function recordDeath(
  { cfg, log }: JourneyContext,
  { gpToken, hospitalToken }: Parties,
  {
    nhsNumber,
    referralId,
    appointmentId,
  }: { nhsNumber: string; referralId: string; appointmentId: string },
): Promise<AfterDeath> {
  log.step('The patient dies (test scenario): future appointments are cancelled automatically');
  log.sent(`GET /fhir/Patient/${nhsNumber} (the GP reads the record and its ETag)`);
  const current = await fhir(cfg.gatewayUrl, gpToken, 'GET', `Patient/${nhsNumber}`);
  const { meta: _meta, ...record } = current.body;
  const deathBody = { ...record, deceasedDateTime: new Date().toISOString() };
  log.sent(
    `PUT /fhir/Patient/${nhsNumber} If-Match: ${current.etag ?? '?'} with deceasedDateTime (as PDS)`,
    { deceasedDateTime: deathBody.deceasedDateTime },
  );
  const dead = await fhir(cfg.gatewayUrl, gpToken, 'PUT', `Patient/${nhsNumber}`, deathBody, {
    'if-match': current.etag ?? '',
  });
  if (dead.status !== 200) throw new Error(`death refused: ${JSON.stringify(dead.body)}`);
  log.received(`${dead.status} Patient ${dead.etag ?? ''} deceased`);
  log.sent(
    `GET /fhir/Appointment?patient=${nhsNumber} (hospital, polling until appointments reacts to PatientDeceased)`,
  );
  const apptAfter = await eventually(
    'the appointment to be cancelled',
    () => fhir(cfg.gatewayUrl, hospitalToken, 'GET', `Appointment?patient=${nhsNumber}`),
    (r) => JSON.stringify(r.body).includes('"cancelled"'),
    20_000,
  ).catch(async () =>
    fhir(cfg.gatewayUrl, hospitalToken, 'GET', `Appointment?patient=${nhsNumber}`),
  );
  const entries = (
    (apptAfter.body['entry'] as Array<{
      resource?: { id?: string; status?: string; cancelationReason?: unknown };
    }>) ?? []
  ).map((e) => e.resource ?? {});
  const ourAppt = entries.find((a) => a.id === appointmentId) ?? entries[0];
  const appointmentStatusAfterDeath = String(ourAppt?.status ?? 'unknown');
  log.received(
    `${apptAfter.status} Bundle: appointment ${ourAppt?.id ?? '?'} is "${appointmentStatusAfterDeath}"`,
    ourAppt?.cancelationReason,
  );
  log.sent(
    `GET /fhir/ServiceRequest/${referralId} (GP, polling until referrals reacts to PatientDeceased)`,
  );
  const referralAfter = await eventually(
    'the referral to be cancelled',
    () => fhir(cfg.gatewayUrl, gpToken, 'GET', `ServiceRequest/${referralId}`),
    (r) => fhirReferralStatus(r.body) === 'cancelled',
    20_000,
  ).catch(() => fhir(cfg.gatewayUrl, gpToken, 'GET', `ServiceRequest/${referralId}`));
  const referralStatusAfterDeath = fhirReferralStatus(referralAfter.body);
  log.received(`${referralAfter.status} ServiceRequest is "${referralStatusAfterDeath}"`);
  return { appointmentStatusAfterDeath, referralStatusAfterDeath };
}
