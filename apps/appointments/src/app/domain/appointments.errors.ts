import {
  PATIENT_DECEASED_ERROR_CODE,
  PATIENT_DIRECTORY_ERROR_CODES,
  patientDirectoryErrorsOf,
} from '@trellis/identity-client';
import {
  codedErrorWithMetadata,
  type CodeOf,
  INVALID_ARGUMENT_ERROR_CODE,
  IDEMPOTENCY_KEY_REUSED_ERROR_CODE,
  ILLEGAL_TRANSITION_ERROR_CODE,
  NOT_INVOLVED_ERROR_CODE,
  VERSION_CONFLICT_ERROR_CODE,
} from '@trellis/service-kit';

/**
 * The appointments platform's domain error and its vocabulary: every refusal carries a stable
 * code, declared with its kind (platform ErrorKind → gRPC status, HTTP status, FHIR outcome). The
 * platform's exception filter maps it to a gRPC status with google.rpc.ErrorInfo (reason = code,
 * domain = trellis.appointments) and BadRequest field violations. `metadata` keeps the
 * machine-readable facts (slot id, current state) for in-process callers; the message always
 * states them too.
 */
export class AppointmentsError extends codedErrorWithMetadata('appointments', {
  ...PATIENT_DIRECTORY_ERROR_CODES,
  ...PATIENT_DECEASED_ERROR_CODE,
  ...INVALID_ARGUMENT_ERROR_CODE,
  ...IDEMPOTENCY_KEY_REUSED_ERROR_CODE,
  ...ILLEGAL_TRANSITION_ERROR_CODE,
  ...NOT_INVOLVED_ERROR_CODE,
  ...VERSION_CONFLICT_ERROR_CODE,
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
}) {}
export const AppointmentsErrorCode = AppointmentsError.codes;
export type AppointmentsErrorCode = CodeOf<typeof AppointmentsError>;

/** How @trellis/identity-client failures become AppointmentsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors = patientDirectoryErrorsOf(AppointmentsError);
