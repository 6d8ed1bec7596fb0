import { domainEventTypes, REFERRAL_EVENT_NAMES, TOPICS } from '@trellis/events';

/** The eleven referral event types on trellis.referrals.referral.v1 (key: NHS number). */
export const ReferralEvents = domainEventTypes(
  'referrals',
  TOPICS.referralsReferral,
  REFERRAL_EVENT_NAMES,
);

/**
 * appointments' events this platform reacts to (trellis.appointments.appointment.v1): a booking
 * books the referral; a cancellation sends a booked referral back to accepted (awaiting a new one).
 */
export const {
  AppointmentBooked: AppointmentBookedEvent,
  AppointmentCancelled: AppointmentCancelledEvent,
} = domainEventTypes('appointments', TOPICS.appointmentsAppointment, [
  'AppointmentBooked',
  'AppointmentCancelled',
]);

/** identity's events this platform reacts to (trellis.identity.patient.v1). */
export { PatientDeceasedEvent, PatientMergedEvent } from '@trellis/events';
