import { events } from '@trellis/contracts';
import { defineEventType, TOPICS } from '@trellis/events';

const E = events.v1;
const topic = TOPICS.referralsReferral;
const type = (name: string) => `uk.nhs.trellis.referrals.${name}.v1`;
const schema = (name: string) => `proto:trellis.events.v1.${name}`;

/** The eleven referral event types on trellis.referrals.referral.v1 (key: NHS number). */
export const ReferralSentEvent = defineEventType({
  type: type('ReferralSent'),
  topic,
  codec: E.ReferralSent,
  dataschema: schema('ReferralSent'),
});
export const ReferralAcceptedEvent = defineEventType({
  type: type('ReferralAccepted'),
  topic,
  codec: E.ReferralAccepted,
  dataschema: schema('ReferralAccepted'),
});
export const ReferralRejectedEvent = defineEventType({
  type: type('ReferralRejected'),
  topic,
  codec: E.ReferralRejected,
  dataschema: schema('ReferralRejected'),
});
export const ReferralReturnedEvent = defineEventType({
  type: type('ReferralReturned'),
  topic,
  codec: E.ReferralReturned,
  dataschema: schema('ReferralReturned'),
});
export const ReferralAdviceGivenEvent = defineEventType({
  type: type('ReferralAdviceGiven'),
  topic,
  codec: E.ReferralAdviceGiven,
  dataschema: schema('ReferralAdviceGiven'),
});
export const ReferralBookedEvent = defineEventType({
  type: type('ReferralBooked'),
  topic,
  codec: E.ReferralBooked,
  dataschema: schema('ReferralBooked'),
});
export const ReferralCompletedEvent = defineEventType({
  type: type('ReferralCompleted'),
  topic,
  codec: E.ReferralCompleted,
  dataschema: schema('ReferralCompleted'),
});
export const ReferralCancelledEvent = defineEventType({
  type: type('ReferralCancelled'),
  topic,
  codec: E.ReferralCancelled,
  dataschema: schema('ReferralCancelled'),
});
export const RttClockStoppedEvent = defineEventType({
  type: type('RttClockStopped'),
  topic,
  codec: E.RttClockStopped,
  dataschema: schema('RttClockStopped'),
});

export const ReferralUpdatedEvent = defineEventType({
  type: type('ReferralUpdated'),
  topic,
  codec: E.ReferralUpdated,
  dataschema: schema('ReferralUpdated'),
});
export const ReferralBookingCancelledEvent = defineEventType({
  type: type('ReferralBookingCancelled'),
  topic,
  codec: E.ReferralBookingCancelled,
  dataschema: schema('ReferralBookingCancelled'),
});

/** appointments' event this platform reacts to (trellis.appointments.appointment.v1). */
export const AppointmentBookedEvent = defineEventType({
  type: 'uk.nhs.trellis.appointments.AppointmentBooked.v1',
  topic: TOPICS.appointmentsAppointment,
  codec: E.AppointmentBooked,
  dataschema: schema('AppointmentBooked'),
});

/** appointments' cancellation: a booked referral goes back to accepted (awaiting a new booking). */
export const AppointmentCancelledEvent = defineEventType({
  type: 'uk.nhs.trellis.appointments.AppointmentCancelled.v1',
  topic: TOPICS.appointmentsAppointment,
  codec: E.AppointmentCancelled,
  dataschema: schema('AppointmentCancelled'),
});

/** identity's events this platform reacts to (trellis.identity.patient.v1). */
export { PatientDeceasedEvent, PatientMergedEvent } from '@trellis/events';
