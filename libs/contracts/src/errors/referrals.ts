import type { ErrorCatalogue } from './catalogue';
import {
  IDEMPOTENCY_KEY_REUSED_ERROR_CODE,
  ILLEGAL_TRANSITION_ERROR_CODE,
  INVALID_ARGUMENT_ERROR_CODE,
  NOT_INVOLVED_ERROR_CODE,
  PATIENT_DECEASED_ERROR_CODE,
  PATIENT_DIRECTORY_ERROR_CODES,
  VERSION_CONFLICT_ERROR_CODE,
} from './shared';

/**
 * The referrals platform's reasons (ErrorInfo domain trellis.referrals); ErrorInfo metadata
 * carries the current state where one refused the step.
 */
export const REFERRALS_ERRORS = {
  domain: 'referrals',
  codes: {
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
  },
} as const satisfies ErrorCatalogue;
