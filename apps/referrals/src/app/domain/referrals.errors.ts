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
 * The referrals platform's domain error and its vocabulary. Every refusal carries a stable code;
 * the platform's exception filter turns the code's kind into a gRPC status and the details into
 * google.rpc.ErrorInfo (reason = code, domain = trellis.referrals) and BadRequest violations;
 * `metadata` keeps machine-readable facts (current state).
 */
export class ReferralsError extends codedErrorWithMetadata('referrals', {
  ...PATIENT_DIRECTORY_ERROR_CODES,
  ...PATIENT_DECEASED_ERROR_CODE,
  ...INVALID_ARGUMENT_ERROR_CODE,
  ...IDEMPOTENCY_KEY_REUSED_ERROR_CODE,
  ...ILLEGAL_TRANSITION_ERROR_CODE,
  ...NOT_INVOLVED_ERROR_CODE,
  ...VERSION_CONFLICT_ERROR_CODE,
  AttachmentTooLarge: ['ATTACHMENT_TOO_LARGE', 'INVALID_ARGUMENT'],
  ReferralNotFound: ['REFERRAL_NOT_FOUND', 'NOT_FOUND'],
  AttachmentNotFound: ['ATTACHMENT_NOT_FOUND', 'NOT_FOUND'],
  NotTarget: ['NOT_TARGET_ORGANISATION', 'PERMISSION_DENIED'],
  NotReferrer: ['NOT_REFERRING_ORGANISATION', 'PERMISSION_DENIED'],
  AlreadyConverted: ['ALREADY_CONVERTED', 'FAILED_PRECONDITION'],
  RttClockStopped: ['RTT_CLOCK_STOPPED', 'FAILED_PRECONDITION'],
  NotEditable: ['REFERRAL_NOT_EDITABLE', 'FAILED_PRECONDITION'],
  VersionNotFound: ['VERSION_NOT_FOUND', 'NOT_FOUND'],
  NotOwnWaitingList: ['NOT_OWN_WAITING_LIST', 'PERMISSION_DENIED'],
}) {}
export const ReferralsErrorCode = ReferralsError.codes;
export type ReferralsErrorCode = CodeOf<typeof ReferralsError>;

/** How @trellis/identity-client failures become ReferralsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors = patientDirectoryErrorsOf(ReferralsError);
