// Reasons that mean the same wherever a platform sends them: a catalogue spreads the ones its
// platform answers with, so a client reads one meaning for each across the platforms.

/** The refusal of a platform whose refused requests say plain `INVALID_ARGUMENT`. */
export const INVALID_ARGUMENT_ERROR_CODE = {
  InvalidArgument: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
} as const;
/** The change was based on a version that is no longer current (FHIR If-Match → 412). */
export const VERSION_CONFLICT_ERROR_CODE = {
  VersionConflict: ['VERSION_CONFLICT', 'ABORTED'],
} as const;
/** An idempotency key sent again with a different request. */
export const IDEMPOTENCY_KEY_REUSED_ERROR_CODE = {
  IdempotencyKeyReused: ['IDEMPOTENCY_KEY_REUSED', 'ALREADY_EXISTS'],
} as const;
/** The record's state machine does not allow the step asked for. */
export const ILLEGAL_TRANSITION_ERROR_CODE = {
  IllegalTransition: ['ILLEGAL_TRANSITION', 'FAILED_PRECONDITION'],
} as const;
/** The caller's organisation takes no part in the record. */
export const NOT_INVOLVED_ERROR_CODE = {
  NotInvolved: ['NOT_INVOLVED', 'PERMISSION_DENIED'],
} as const;

/**
 * A platform that looks patients up in identity: the patient's standing refuses the request, or
 * identity refused or could not answer (@trellis/identity-client turns its failures into these).
 */
export const PATIENT_DIRECTORY_ERROR_CODES = {
  PatientNotFound: ['PATIENT_NOT_FOUND', 'FAILED_PRECONDITION'],
  PatientMerged: ['PATIENT_MERGED', 'FAILED_PRECONDITION'],
  PatientLookupDenied: ['PATIENT_LOOKUP_DENIED', 'PERMISSION_DENIED'],
  IdentityUnavailable: ['IDENTITY_UNAVAILABLE', 'UNAVAILABLE'],
} as const;

/** For the platforms that refuse a deceased patient's new appointment or referral. */
export const PATIENT_DECEASED_ERROR_CODE = {
  PatientDeceased: ['PATIENT_DECEASED', 'FAILED_PRECONDITION'],
} as const;

/**
 * The shared reasons of a platform whose records two organisations change for a patient under
 * idempotency keys and versions (appointments, referrals): all of the above.
 */
export const CARE_RECORD_ERROR_CODES = {
  ...PATIENT_DIRECTORY_ERROR_CODES,
  ...PATIENT_DECEASED_ERROR_CODE,
  ...INVALID_ARGUMENT_ERROR_CODE,
  ...IDEMPOTENCY_KEY_REUSED_ERROR_CODE,
  ...ILLEGAL_TRANSITION_ERROR_CODE,
  ...NOT_INVOLVED_ERROR_CODE,
  ...VERSION_CONFLICT_ERROR_CODE,
} as const;
