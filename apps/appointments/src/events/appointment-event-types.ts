import { events } from '@trellis/contracts';
import { defineEventType, TOPICS } from '@trellis/events';

const E = events.v1;
const topic = TOPICS.appointmentsAppointment;
const type = (name: string) => `uk.nhs.trellis.appointments.${name}.v1`;
const schema = (name: string) => `proto:trellis.events.v1.${name}`;

/** The five appointment event types on trellis.appointments.appointment.v1 (key: NHS number). */
export const AppointmentBookedEvent = defineEventType({
  type: type('AppointmentBooked'),
  topic,
  codec: E.AppointmentBooked,
  dataschema: schema('AppointmentBooked'),
});
export const AppointmentCancelledEvent = defineEventType({
  type: type('AppointmentCancelled'),
  topic,
  codec: E.AppointmentCancelled,
  dataschema: schema('AppointmentCancelled'),
});
export const AppointmentRescheduledEvent = defineEventType({
  type: type('AppointmentRescheduled'),
  topic,
  codec: E.AppointmentRescheduled,
  dataschema: schema('AppointmentRescheduled'),
});
export const AppointmentAttendedEvent = defineEventType({
  type: type('AppointmentAttended'),
  topic,
  codec: E.AppointmentAttended,
  dataschema: schema('AppointmentAttended'),
});
export const AppointmentMissedEvent = defineEventType({
  type: type('AppointmentMissed'),
  topic,
  codec: E.AppointmentMissed,
  dataschema: schema('AppointmentMissed'),
});

/** identity's events this platform reacts to (trellis.identity.patient.v1). */
export { PatientDeceasedEvent, PatientMergedEvent } from '@trellis/events';
