import type { ErrorCatalogue } from './catalogue';
import { CARE_RECORD_ERROR_CODES } from './shared';

/**
 * The referrals platform's reasons (ErrorInfo domain trellis.referrals); ErrorInfo metadata
 * carries the current state where one refused the step.
 */
export const REFERRALS_ERRORS = {
  domain: 'referrals',
  codes: {
    ...CARE_RECORD_ERROR_CODES,
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
