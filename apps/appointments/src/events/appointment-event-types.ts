import { domainEventTypes, TOPICS } from '@trellis/events';

/** The five appointment event types on trellis.appointments.appointment.v1 (key: NHS number). */
export const AppointmentEvents = domainEventTypes('appointments', TOPICS.appointmentsAppointment, [
  'AppointmentBooked',
  'AppointmentCancelled',
  'AppointmentRescheduled',
  'AppointmentAttended',
  'AppointmentMissed',
]);

/** identity's events this platform reacts to (trellis.identity.patient.v1). */
export { PatientDeceasedEvent, PatientMergedEvent } from '@trellis/events';
