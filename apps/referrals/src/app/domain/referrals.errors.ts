import type { PatientDirectoryErrors } from '@trellis/identity-client';
import { codedErrorWithMetadata, type ErrorKind, type FieldViolation } from '@trellis/platform';

export type { FieldViolation };

/**
 * The referrals platform's error vocabulary. Every refusal carries a stable code; the platform's
 * exception filter turns the code's kind into a gRPC status and the details into
 * google.rpc.ErrorInfo (reason = code, domain = trellis.referrals) and BadRequest violations.
 */
export enum ReferralsErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  AttachmentTooLarge = 'ATTACHMENT_TOO_LARGE',
  ReferralNotFound = 'REFERRAL_NOT_FOUND',
  AttachmentNotFound = 'ATTACHMENT_NOT_FOUND',
  NotInvolved = 'NOT_INVOLVED',
  NotTarget = 'NOT_TARGET_ORGANISATION',
  NotReferrer = 'NOT_REFERRING_ORGANISATION',
  IllegalTransition = 'ILLEGAL_TRANSITION',
  AlreadyConverted = 'ALREADY_CONVERTED',
  RttClockStopped = 'RTT_CLOCK_STOPPED',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  PatientNotFound = 'PATIENT_NOT_FOUND',
  PatientDeceased = 'PATIENT_DECEASED',
  PatientMerged = 'PATIENT_MERGED',
  PatientLookupDenied = 'PATIENT_LOOKUP_DENIED',
  IdentityUnavailable = 'IDENTITY_UNAVAILABLE',
  VersionConflict = 'VERSION_CONFLICT',
  NotEditable = 'REFERRAL_NOT_EDITABLE',
  VersionNotFound = 'VERSION_NOT_FOUND',
  NotOwnWaitingList = 'NOT_OWN_WAITING_LIST',
}

const KIND: Record<ReferralsErrorCode, ErrorKind> = {
  [ReferralsErrorCode.InvalidArgument]: 'INVALID_ARGUMENT',
  [ReferralsErrorCode.AttachmentTooLarge]: 'INVALID_ARGUMENT',
  [ReferralsErrorCode.ReferralNotFound]: 'NOT_FOUND',
  [ReferralsErrorCode.AttachmentNotFound]: 'NOT_FOUND',
  [ReferralsErrorCode.NotInvolved]: 'PERMISSION_DENIED',
  [ReferralsErrorCode.NotTarget]: 'PERMISSION_DENIED',
  [ReferralsErrorCode.NotReferrer]: 'PERMISSION_DENIED',
  [ReferralsErrorCode.PatientLookupDenied]: 'PERMISSION_DENIED',
  [ReferralsErrorCode.IllegalTransition]: 'FAILED_PRECONDITION',
  [ReferralsErrorCode.AlreadyConverted]: 'FAILED_PRECONDITION',
  [ReferralsErrorCode.RttClockStopped]: 'FAILED_PRECONDITION',
  [ReferralsErrorCode.IdempotencyKeyReused]: 'ALREADY_EXISTS',
  [ReferralsErrorCode.PatientNotFound]: 'FAILED_PRECONDITION',
  [ReferralsErrorCode.PatientDeceased]: 'FAILED_PRECONDITION',
  [ReferralsErrorCode.PatientMerged]: 'FAILED_PRECONDITION',
  [ReferralsErrorCode.IdentityUnavailable]: 'UNAVAILABLE',
  [ReferralsErrorCode.VersionConflict]: 'ABORTED',
  [ReferralsErrorCode.NotEditable]: 'FAILED_PRECONDITION',
  [ReferralsErrorCode.VersionNotFound]: 'NOT_FOUND',
  [ReferralsErrorCode.NotOwnWaitingList]: 'PERMISSION_DENIED',
};

/** The referrals platform's domain error; `metadata` keeps machine-readable facts (current state). */
export class ReferralsError extends codedErrorWithMetadata({
  domain: 'referrals',
  kinds: KIND,
  invalidCode: ReferralsErrorCode.InvalidArgument,
}) {}

/** How @trellis/identity-client failures become ReferralsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors: PatientDirectoryErrors = ReferralsError.patientDirectoryErrors(
  {
    lookupDenied: ReferralsErrorCode.PatientLookupDenied,
    unavailable: ReferralsErrorCode.IdentityUnavailable,
  },
);
