import {
  defineScopeTable,
  populationExportRule,
  subjectByResourceId,
  subjectOfCreation,
  subjectOfVersions,
} from '@trellis/auth';

const SCHEDULE = '/trellis.appointments.v1.ScheduleService';
const APPOINTMENT = '/trellis.appointments.v1.AppointmentService';

/** Audit subject for calls addressed by appointment id: the response names the patient. */
const byAppointmentId = subjectByResourceId({
  response: 'appointment',
  requestId: 'appointmentId',
});

/** A change of one appointment by one of its parties, addressed by its id. */
const update = {
  scope: 'system/Appointment.u',
  patientData: true,
  subject: byAppointmentId,
} as const;

/**
 * The appointments platform's one scope table: every gRPC method, its SMART v2 scope, and whether
 * it touches patient data (then every call, allowed or denied, is written to the access audit).
 * Organisation visibility (only the provider and the booking organisation see an appointment) is
 * enforced by the services with the caller's ODS code.
 */
export const APPOINTMENTS_SCOPES = defineScopeTable({
  [`${SCHEDULE}/CreateSchedule`]: { scope: 'system/Schedule.c' },
  [`${SCHEDULE}/GetSchedule`]: { scope: 'system/Schedule.r' },
  [`${SCHEDULE}/PublishSlots`]: { scope: 'system/Slot.c' },
  [`${SCHEDULE}/SearchFreeSlots`]: { scope: 'system/Slot.s' },
  [`${SCHEDULE}/ListSchedules`]: { scope: 'system/Schedule.s' },
  [`${SCHEDULE}/GetSlot`]: { scope: 'system/Slot.r' },
  [`${APPOINTMENT}/BookAppointment`]: {
    scope: 'system/Appointment.c',
    patientData: true,
    subject: subjectOfCreation({ nhsNumber: ['nhsNumber'], response: 'appointment' }),
  },
  [`${APPOINTMENT}/CancelAppointment`]: update,
  [`${APPOINTMENT}/RescheduleAppointment`]: update,
  [`${APPOINTMENT}/MarkArrived`]: update,
  [`${APPOINTMENT}/MarkFulfilled`]: update,
  [`${APPOINTMENT}/MarkNoShow`]: update,
  [`${APPOINTMENT}/GetAppointment`]: {
    scope: 'system/Appointment.r',
    patientData: true,
    subject: byAppointmentId,
  },
  // Versions are read under the same scope, audit and visibility as the appointment itself.
  [`${APPOINTMENT}/GetAppointmentVersion`]: {
    scope: 'system/Appointment.r',
    patientData: true,
    subject: subjectOfVersions({
      requestId: 'appointmentId',
      answered: ['version', 'appointment'],
    }),
  },
  [`${APPOINTMENT}/ListAppointmentVersions`]: {
    scope: 'system/Appointment.r',
    patientData: true,
    subject: subjectOfVersions({
      requestId: 'appointmentId',
      answered: ['versions', 0, 'appointment'],
    }),
  },
  [`${APPOINTMENT}/ListPatientAppointments`]: {
    scope: 'system/Appointment.s',
    patientData: true,
    patientAccess: true, // a citizen's own appointments ($everything)
    subject: (req) => ({ nhsNumber: (req as { nhsNumber?: string }).nhsNumber }),
  },
  // A day list names many patients: audited as a search by the organisation, without one subject.
  [`${APPOINTMENT}/GetOrganisationDayList`]: { scope: 'system/Appointment.s', patientData: true },
  // bulk export (the gateway's $export worker as the job's owner; not on the front door): the
  // patients are the gateway's regional list at identity; audited by the gateway per file
  '/trellis.appointments.v1.AppointmentExportService/ListAppointmentsForPatients':
    populationExportRule('Appointment'),
});
