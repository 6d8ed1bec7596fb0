import { PATIENT_DIRECTORY_ERROR_CODES, patientDirectoryErrorsOf } from '@trellis/identity-client';
import {
  codedErrorWithMetadata,
  type CodeOf,
  ILLEGAL_TRANSITION_ERROR_CODE,
  INVALID_ARGUMENT_ERROR_CODE,
} from '@trellis/service-kit';

/**
 * The results platform's error vocabulary. Every refusal carries a stable code; the platform's
 * mapper turns the kind into a gRPC status and the details into google.rpc.ErrorInfo (reason = code,
 * domain = trellis.results) and BadRequest field violations.
 */
export class ResultsError extends codedErrorWithMetadata('results', {
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
}) {}
export const ResultsErrorCode = ResultsError.codes;
export type ResultsErrorCode = CodeOf<typeof ResultsError>;

/** How @trellis/identity-client failures become ResultsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors = patientDirectoryErrorsOf(ResultsError);
