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
  PatientNotFound = 'PATIENT_NOT_FOUND',
  PatientDeceased = 'PATIENT_DECEASED',
  PatientMerged = 'PATIENT_MERGED',
  PatientLookupDenied = 'PATIENT_LOOKUP_DENIED',
  IdentityUnavailable = 'IDENTITY_UNAVAILABLE',
}

/** How a code is surfaced: maps 1:1 onto a gRPC status (and an HTTP status at the gateway). */
export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'permission-denied'
  | 'already-exists'
  | 'aborted'
  | 'failed-precondition'
  | 'unavailable';

export function kindOf(code: AppointmentsErrorCode): ErrorKind {
  switch (code) {
    case AppointmentsErrorCode.InvalidArgument:
      return 'invalid-argument';
    case AppointmentsErrorCode.ScheduleNotFound:
    case AppointmentsErrorCode.SlotNotFound:
    case AppointmentsErrorCode.AppointmentNotFound:
      return 'not-found';
    case AppointmentsErrorCode.NotScheduleOwner:
    case AppointmentsErrorCode.NotAllowedToBook:
    case AppointmentsErrorCode.NotInvolved:
    case AppointmentsErrorCode.PatientLookupDenied:
      return 'permission-denied';
    case AppointmentsErrorCode.SlotOverlap:
    case AppointmentsErrorCode.IdempotencyKeyReused:
      return 'already-exists';
    case AppointmentsErrorCode.SlotNotFree:
      return 'aborted';
    case AppointmentsErrorCode.SlotInPast:
    case AppointmentsErrorCode.IllegalTransition:
    case AppointmentsErrorCode.TooEarly:
    case AppointmentsErrorCode.PatientNotFound:
    case AppointmentsErrorCode.PatientDeceased:
    case AppointmentsErrorCode.PatientMerged:
      return 'failed-precondition';
    case AppointmentsErrorCode.IdentityUnavailable:
      return 'unavailable';
  }
}

export interface FieldViolation {
  field: string;
  rule: string;
  message: string;
}

export class AppointmentsError extends Error {
  readonly kind: ErrorKind;

  constructor(
    readonly code: AppointmentsErrorCode,
    message: string,
    /** Machine-readable facts for the client (slot id, current state, ...); no PII beyond ids. */
    readonly metadata: Readonly<Record<string, string>> = {},
    readonly violations: readonly FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'AppointmentsError';
    this.kind = kindOf(code);
  }

  static invalid(violations: FieldViolation[]): AppointmentsError {
    const summary = violations.map((v) => `${v.field}: ${v.message}`).join('; ');
    return new AppointmentsError(AppointmentsErrorCode.InvalidArgument, `Invalid request: ${summary}`, {}, violations);
  }
}
