import type { PatientDirectoryErrors } from '@trellis/identity-client';
import { codedErrorWithMetadata, type ErrorKind, type FieldViolation } from '@trellis/platform';

export type { FieldViolation };

/**
 * The results platform's error vocabulary. Every refusal carries a stable code; the platform's
 * mapper turns the kind into a gRPC status and the details into google.rpc.ErrorInfo (reason = code,
 * domain = trellis.results) and BadRequest field violations.
 */
export enum ResultsErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  ReportNotFound = 'REPORT_NOT_FOUND',
  VersionNotFound = 'VERSION_NOT_FOUND',
  /** Different content under a lab identifier already used, and not a new version. */
  ReportIdentifierConflict = 'REPORT_IDENTIFIER_CONFLICT',
  NotPerformingLab = 'NOT_PERFORMING_LAB',
  NotRequester = 'NOT_REQUESTER',
  /** Amending a cancelled report, acknowledging a superseded version, ... */
  IllegalTransition = 'ILLEGAL_TRANSITION',
  /** A concurrent writer created the same version first; retry. */
  ConcurrentUpdate = 'CONCURRENT_UPDATE',
  /** The caller's expected_version is not the latest (HTTP If-Match → 412). */
  VersionMismatch = 'VERSION_MISMATCH',
  PatientNotFound = 'PATIENT_NOT_FOUND',
  PatientMerged = 'PATIENT_MERGED',
  PatientLookupDenied = 'PATIENT_LOOKUP_DENIED',
  IdentityUnavailable = 'IDENTITY_UNAVAILABLE',
}

const KIND: Record<ResultsErrorCode, ErrorKind> = {
  [ResultsErrorCode.InvalidArgument]: 'INVALID_ARGUMENT',
  [ResultsErrorCode.ReportNotFound]: 'NOT_FOUND',
  [ResultsErrorCode.VersionNotFound]: 'NOT_FOUND',
  [ResultsErrorCode.ReportIdentifierConflict]: 'ALREADY_EXISTS',
  [ResultsErrorCode.NotPerformingLab]: 'PERMISSION_DENIED',
  [ResultsErrorCode.NotRequester]: 'PERMISSION_DENIED',
  [ResultsErrorCode.PatientLookupDenied]: 'PERMISSION_DENIED',
  [ResultsErrorCode.IllegalTransition]: 'FAILED_PRECONDITION',
  [ResultsErrorCode.ConcurrentUpdate]: 'ABORTED',
  [ResultsErrorCode.VersionMismatch]: 'ABORTED',
  [ResultsErrorCode.PatientNotFound]: 'FAILED_PRECONDITION',
  [ResultsErrorCode.PatientMerged]: 'FAILED_PRECONDITION',
  [ResultsErrorCode.IdentityUnavailable]: 'UNAVAILABLE',
};

export class ResultsError extends codedErrorWithMetadata({
  domain: 'results',
  kinds: KIND,
  invalidCode: ResultsErrorCode.InvalidArgument,
}) {}

/** How @trellis/identity-client failures become ResultsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors: PatientDirectoryErrors = ResultsError.patientDirectoryErrors({
  lookupDenied: ResultsErrorCode.PatientLookupDenied,
  unavailable: ResultsErrorCode.IdentityUnavailable,
});
