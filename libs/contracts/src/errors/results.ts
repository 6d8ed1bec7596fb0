import type { ErrorCatalogue } from './catalogue';
import {
  ILLEGAL_TRANSITION_ERROR_CODE,
  INVALID_ARGUMENT_ERROR_CODE,
  PATIENT_DIRECTORY_ERROR_CODES,
} from './shared';

/** The results platform's reasons (ErrorInfo domain trellis.results). */
export const RESULTS_ERRORS = {
  domain: 'results',
  codes: {
    ...PATIENT_DIRECTORY_ERROR_CODES,
    ...INVALID_ARGUMENT_ERROR_CODE,
    // amending a cancelled report, acknowledging a superseded version, ...
    ...ILLEGAL_TRANSITION_ERROR_CODE,
    ReportNotFound: ['REPORT_NOT_FOUND', 'NOT_FOUND'],
    VersionNotFound: ['VERSION_NOT_FOUND', 'NOT_FOUND'],
    /** Different content under a lab identifier already used, and not a new version. */
    ReportIdentifierConflict: ['REPORT_IDENTIFIER_CONFLICT', 'ALREADY_EXISTS'],
    NotPerformingLab: ['NOT_PERFORMING_LAB', 'PERMISSION_DENIED'],
    NotRequester: ['NOT_REQUESTER', 'PERMISSION_DENIED'],
    /** A concurrent writer created the same version first; retry. */
    ConcurrentUpdate: ['CONCURRENT_UPDATE', 'ABORTED'],
    /** The caller's expected_version is not the latest (HTTP If-Match → 412). */
    VersionMismatch: ['VERSION_MISMATCH', 'ABORTED'],
  },
} as const satisfies ErrorCatalogue;
