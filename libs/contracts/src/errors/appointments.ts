import type { ErrorCatalogue } from './catalogue';
import { CARE_RECORD_ERROR_CODES } from './shared';

/**
 * The appointments platform's reasons (ErrorInfo domain trellis.appointments). The message always
 * states the facts (slot id, current state) too.
 */
export const APPOINTMENTS_ERRORS = {
  domain: 'appointments',
  codes: {
    ...CARE_RECORD_ERROR_CODES,
    ScheduleNotFound: ['SCHEDULE_NOT_FOUND', 'NOT_FOUND'],
    SlotNotFound: ['SLOT_NOT_FOUND', 'NOT_FOUND'],
    AppointmentNotFound: ['APPOINTMENT_NOT_FOUND', 'NOT_FOUND'],
    AppointmentVersionNotFound: ['APPOINTMENT_VERSION_NOT_FOUND', 'NOT_FOUND'],
    NotScheduleOwner: ['NOT_SCHEDULE_OWNER', 'PERMISSION_DENIED'],
    NotAllowedToBook: ['NOT_ALLOWED_TO_BOOK', 'PERMISSION_DENIED'],
    SlotOverlap: ['SLOT_OVERLAP', 'ALREADY_EXISTS'],
    // the loser of a booking race: retry with another slot
    SlotNotFree: ['SLOT_NOT_FREE', 'ABORTED'],
    SlotInPast: ['SLOT_IN_PAST', 'FAILED_PRECONDITION'],
    TooEarly: ['TOO_EARLY', 'FAILED_PRECONDITION'],
    /** Arrival recorded too long after the slot ended. */
    TooLate: ['TOO_LATE', 'FAILED_PRECONDITION'],
  },
} as const satisfies ErrorCatalogue;
