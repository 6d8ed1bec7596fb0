import type { PatientDirectoryErrors } from '@trellis/identity-client';
import { codedErrorWithMetadata, type ErrorKind, type FieldViolation } from '@trellis/platform';

export type { FieldViolation };

/**
 * The appointments platform's error vocabulary. Every refusal carries a stable code; the gRPC
 * mapper (appointments-error.mapper.ts) turns the code's kind into a status, the details into
 * google.rpc.ErrorInfo metadata / field violations.
 */
export enum AppointmentsErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  ScheduleNotFound = 'SCHEDULE_NOT_FOUND',
  SlotNotFound = 'SLOT_NOT_FOUND',
  AppointmentNotFound = 'APPOINTMENT_NOT_FOUND',
  NotScheduleOwner = 'NOT_SCHEDULE_OWNER',
  NotAllowedToBook = 'NOT_ALLOWED_TO_BOOK',
  NotInvolved = 'NOT_INVOLVED',
  SlotOverlap = 'SLOT_OVERLAP',
  SlotNotFree = 'SLOT_NOT_FREE',
  SlotInPast = 'SLOT_IN_PAST',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  IllegalTransition = 'ILLEGAL_TRANSITION',
  TooEarly = 'TOO_EARLY',
  /** Arrival recorded too long after the slot ended. */
  TooLate = 'TOO_LATE',
  PatientNotFound = 'PATIENT_NOT_FOUND',
  PatientDeceased = 'PATIENT_DECEASED',
  PatientMerged = 'PATIENT_MERGED',
  PatientLookupDenied = 'PATIENT_LOOKUP_DENIED',
  IdentityUnavailable = 'IDENTITY_UNAVAILABLE',
  /** expected_version is not the appointment's current version (FHIR If-Match → 412). */
  VersionConflict = 'VERSION_CONFLICT',
  AppointmentVersionNotFound = 'APPOINTMENT_VERSION_NOT_FOUND',
}

/** How each code is surfaced (platform ErrorKind → gRPC status, HTTP status, FHIR outcome). */
const KIND: Record<AppointmentsErrorCode, ErrorKind> = {
  [AppointmentsErrorCode.InvalidArgument]: 'INVALID_ARGUMENT',
  [AppointmentsErrorCode.ScheduleNotFound]: 'NOT_FOUND',
  [AppointmentsErrorCode.SlotNotFound]: 'NOT_FOUND',
  [AppointmentsErrorCode.AppointmentNotFound]: 'NOT_FOUND',
  [AppointmentsErrorCode.NotScheduleOwner]: 'PERMISSION_DENIED',
  [AppointmentsErrorCode.NotAllowedToBook]: 'PERMISSION_DENIED',
  [AppointmentsErrorCode.NotInvolved]: 'PERMISSION_DENIED',
  [AppointmentsErrorCode.PatientLookupDenied]: 'PERMISSION_DENIED',
  [AppointmentsErrorCode.SlotOverlap]: 'ALREADY_EXISTS',
  [AppointmentsErrorCode.IdempotencyKeyReused]: 'ALREADY_EXISTS',
  // the loser of a booking race: retry with another slot
  [AppointmentsErrorCode.SlotNotFree]: 'ABORTED',
  [AppointmentsErrorCode.SlotInPast]: 'FAILED_PRECONDITION',
  [AppointmentsErrorCode.IllegalTransition]: 'FAILED_PRECONDITION',
  [AppointmentsErrorCode.TooEarly]: 'FAILED_PRECONDITION',
  [AppointmentsErrorCode.TooLate]: 'FAILED_PRECONDITION',
  [AppointmentsErrorCode.PatientNotFound]: 'FAILED_PRECONDITION',
  [AppointmentsErrorCode.PatientDeceased]: 'FAILED_PRECONDITION',
  [AppointmentsErrorCode.PatientMerged]: 'FAILED_PRECONDITION',
  [AppointmentsErrorCode.IdentityUnavailable]: 'UNAVAILABLE',
  [AppointmentsErrorCode.VersionConflict]: 'ABORTED',
  [AppointmentsErrorCode.AppointmentVersionNotFound]: 'NOT_FOUND',
};

/**
 * The appointments platform's domain error. The platform's exception filter maps it to a gRPC
 * status with google.rpc.ErrorInfo (reason = code, domain = trellis.appointments) and BadRequest
 * field violations. `metadata` keeps the machine-readable facts (slot id, current state) for
 * in-process callers; the message always states them too.
 */
export class AppointmentsError extends codedErrorWithMetadata({
  domain: 'appointments',
  kinds: KIND,
  invalidCode: AppointmentsErrorCode.InvalidArgument,
}) {}

/** How @trellis/identity-client failures become AppointmentsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors: PatientDirectoryErrors =
  AppointmentsError.patientDirectoryErrors({
    lookupDenied: AppointmentsErrorCode.PatientLookupDenied,
    unavailable: AppointmentsErrorCode.IdentityUnavailable,
  });
