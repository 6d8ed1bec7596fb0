import { defineScopeTable, patientRecordRules, sameRuleFor } from '@trellis/auth';

const SCHEDULE = '/trellis.appointments.v1.ScheduleService';
const APPOINTMENT = '/trellis.appointments.v1.AppointmentService';

/** An appointment, addressed by its id; changed by one of its parties. */
const appointment = patientRecordRules('Appointment', {
  response: 'appointment',
  requestId: 'appointmentId',
});

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
  [`${APPOINTMENT}/BookAppointment`]: appointment.create(['nhsNumber']),
  // the changes of one appointment by one of its parties
  ...sameRuleFor(
    APPOINTMENT,
    ['CancelAppointment', 'RescheduleAppointment', 'MarkArrived', 'MarkFulfilled', 'MarkNoShow'],
    appointment.update,
  ),
  [`${APPOINTMENT}/GetAppointment`]: appointment.read,
  // Versions are read under the same scope, audit and visibility as the appointment itself.
  [`${APPOINTMENT}/GetAppointmentVersion`]: appointment.versions(['version', 'appointment']),
  [`${APPOINTMENT}/ListAppointmentVersions`]: appointment.versions(['versions', 0, 'appointment']),
  [`${APPOINTMENT}/ListPatientAppointments`]: {
    scope: 'system/Appointment.s',
    patientData: true,
    patientAccess: true, // a citizen's own appointments ($everything)
    subject: (req) => ({ nhsNumber: (req as { nhsNumber?: string }).nhsNumber }),
  },
  // A day list names many patients: audited as a search by the organisation, without one subject.
  [`${APPOINTMENT}/GetOrganisationDayList`]: appointment.worklist,
  // bulk export (the gateway's $export worker as the job's owner; not on the front door): the
  // patients are the gateway's regional list at identity; audited by the gateway per file
  '/trellis.appointments.v1.AppointmentExportService/ListAppointmentsForPatients':
    appointment.populationExport,
});
