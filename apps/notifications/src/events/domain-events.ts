import { events, fromTimestamp } from '@trellis/contracts';
import { PoisonMessageError, type ReceivedEvent } from '@trellis/events';

const E = events.v1;

/** What a subscription needs of a domain event, whatever its type. */
export interface DomainFact {
  /** ODS codes of the organisations the event concerns (EventContext.organisations). */
  organisations: string[];
  nhsNumber: string;
  /** `DiagnosticReport/<id>`, `ServiceRequest/<id>`, `Appointment/<id>`, `Patient/<nhs>`. */
  focus: string;
  occurredAt: Date;
  /** Results: the patient's registered practice is told too, whoever requested them. */
  toRegisteredPractice: boolean;
}

/** The registered-practice news an identity event carries. */
export interface PracticeFact {
  nhsNumber: string;
  gpOdsCode: string;
  version: number;
  /** Identity's confidentiality of the record is "restricted" (issue 21: events withheld). */
  restricted: boolean;
  /** A merge retires this number (its practice row goes). */
  supersededNhsNumber?: string;
}

interface Codec<T> {
  decode(input: Uint8Array): T;
}
type WithContext = { context?: events.v1.EventContext | undefined };

function facts<T extends WithContext>(
  codec: Codec<T>,
  pick: (m: T) => { nhsNumber: string; focus: string },
  toRegisteredPractice = false,
): (data: Uint8Array, time: Date | undefined) => DomainFact {
  return (data, time) => {
    const m = codec.decode(data);
    const { nhsNumber, focus } = pick(m);
    const occurred = m.context?.occurredAt;
    return {
      organisations: (m.context?.organisations ?? []).map((o) => o.odsCode).filter(Boolean),
      nhsNumber,
      focus,
      occurredAt: occurred ? fromTimestamp(occurred) : (time ?? new Date()),
      toRegisteredPractice,
    };
  };
}

type Report = { report?: events.v1.ResultEventContext | undefined };
type Referral = { referral?: events.v1.ReferralEventContext | undefined };
type Appointment = { appointment?: events.v1.AppointmentEventContext | undefined };
type Patient = { patient?: events.v1.PatientEventContext | undefined };

const report = (m: Report) => ({
  nhsNumber: m.report?.nhsNumber ?? '',
  focus: `DiagnosticReport/${m.report?.reportId ?? ''}`,
});
const referral = (m: Referral) => ({
  nhsNumber: m.referral?.nhsNumber ?? '',
  focus: `ServiceRequest/${m.referral?.referralId ?? ''}`,
});
const appointment = (m: Appointment) => ({
  nhsNumber: m.appointment?.nhsNumber ?? '',
  focus: `Appointment/${m.appointment?.appointmentId ?? ''}`,
});
const patient = (m: Patient) => ({
  nhsNumber: m.patient?.nhsNumber ?? '',
  focus: `Patient/${m.patient?.nhsNumber ?? ''}`,
});

const T = (name: string) => `uk.nhs.trellis.${name}.v1`;

/** Every domain event type a topic can be raised by, by ce_type. */
const FACTS = new Map<string, (data: Uint8Array, time: Date | undefined) => DomainFact>([
  [T('results.ResultAvailable'), facts(E.ResultAvailable, report, true)],
  [T('results.ResultAmended'), facts(E.ResultAmended, report, true)],
  [T('referrals.ReferralSent'), facts(E.ReferralSent, referral)],
  [T('referrals.ReferralAccepted'), facts(E.ReferralAccepted, referral)],
  [T('referrals.ReferralRejected'), facts(E.ReferralRejected, referral)],
  [T('referrals.ReferralReturned'), facts(E.ReferralReturned, referral)],
  [T('referrals.ReferralAdviceGiven'), facts(E.ReferralAdviceGiven, referral)],
  [T('referrals.ReferralBooked'), facts(E.ReferralBooked, referral)],
  [T('referrals.ReferralCompleted'), facts(E.ReferralCompleted, referral)],
  [T('referrals.ReferralCancelled'), facts(E.ReferralCancelled, referral)],
  [T('referrals.ReferralUpdated'), facts(E.ReferralUpdated, referral)],
  [T('referrals.ReferralBookingCancelled'), facts(E.ReferralBookingCancelled, referral)],
  [T('appointments.AppointmentBooked'), facts(E.AppointmentBooked, appointment)],
  [T('appointments.AppointmentCancelled'), facts(E.AppointmentCancelled, appointment)],
  [T('appointments.AppointmentRescheduled'), facts(E.AppointmentRescheduled, appointment)],
  [T('appointments.AppointmentAttended'), facts(E.AppointmentAttended, appointment)],
  [T('appointments.AppointmentMissed'), facts(E.AppointmentMissed, appointment)],
  [T('identity.PatientDeceased'), facts(E.PatientDeceased, patient)],
  [T('identity.PatientMerged'), facts(E.PatientMerged, patient)],
]);

const PRACTICE = new Map<string, (data: Uint8Array) => PracticeFact>([
  [T('identity.PatientRegistered'), practice(E.PatientRegistered)],
  [T('identity.PatientUpdated'), practice(E.PatientUpdated)],
  [T('identity.GpRegistrationChanged'), practice(E.GpRegistrationChanged)],
  [T('identity.PatientDeceased'), practice(E.PatientDeceased)],
  [
    T('identity.PatientMerged'),
    (data) => {
      const m = E.PatientMerged.decode(data);
      return { ...practiceOf(m.patient), supersededNhsNumber: m.supersededNhsNumber };
    },
  ],
]);

function practiceOf(p: events.v1.PatientEventContext | undefined): PracticeFact {
  return {
    nhsNumber: p?.nhsNumber ?? '',
    gpOdsCode: p?.gpOdsCode ?? '',
    version: p?.version ?? 0,
    restricted: p?.confidentiality === 'restricted',
  };
}

function practice<T extends Patient>(codec: Codec<T>): (data: Uint8Array) => PracticeFact {
  return (data) => practiceOf(codec.decode(data).patient);
}

function decoded<T>(event: ReceivedEvent, read: (data: Uint8Array) => T): T {
  try {
    return read(event.data);
  } catch (err) {
    throw new PoisonMessageError(
      `undecodable ${event.type} payload: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The subscription-relevant facts of an event; undefined for types no topic is raised by. */
export function domainFactOf(event: ReceivedEvent): DomainFact | undefined {
  const read = FACTS.get(event.type);
  const time = event.time ? new Date(event.time) : undefined;
  return read ? decoded(event, (d) => read(d, time)) : undefined;
}

/** The registered-practice news of an identity event; undefined for other events. */
export function practiceFactOf(event: ReceivedEvent): PracticeFact | undefined {
  const read = PRACTICE.get(event.type);
  return read ? decoded(event, read) : undefined;
}
