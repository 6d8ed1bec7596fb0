import { DomainError, type ErrorKind, type FieldViolation } from '@trellis/platform';
import type { PatientView } from './patient.model';

/** Identity error vocabulary: one code enum, one error class; the platform maps kinds to gRPC. */
export enum IdentityErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  InvalidNhsNumber = 'INVALID_NHS_NUMBER',
  PatientNotFound = 'PATIENT_NOT_FOUND',
  VersionNotFound = 'VERSION_NOT_FOUND',
  DuplicatePatient = 'DUPLICATE_PATIENT',
  VersionConflict = 'VERSION_CONFLICT',
  PatientSuperseded = 'PATIENT_SUPERSEDED',
  AlreadyDeceased = 'ALREADY_DECEASED',
  MergeIntoSelf = 'MERGE_INTO_SELF',
  MergeIntoDeceased = 'MERGE_INTO_DECEASED',
  MergeIntoMerged = 'MERGE_INTO_MERGED',
  MergeSourceMerged = 'MERGE_SOURCE_MERGED',
  NumberRangeExhausted = 'NUMBER_RANGE_EXHAUSTED',
  RestrictedScopeRequired = 'RESTRICTED_SCOPE_REQUIRED',
  NotYourRegion = 'NOT_YOUR_REGION',
}

export const IDENTITY_ERROR_KIND: Record<IdentityErrorCode, ErrorKind> = {
  [IdentityErrorCode.ValidationFailed]: 'INVALID_ARGUMENT',
  [IdentityErrorCode.InvalidNhsNumber]: 'INVALID_ARGUMENT',
  [IdentityErrorCode.PatientNotFound]: 'NOT_FOUND',
  [IdentityErrorCode.VersionNotFound]: 'NOT_FOUND',
  [IdentityErrorCode.DuplicatePatient]: 'ALREADY_EXISTS',
  [IdentityErrorCode.VersionConflict]: 'ABORTED',
  [IdentityErrorCode.PatientSuperseded]: 'FAILED_PRECONDITION',
  [IdentityErrorCode.AlreadyDeceased]: 'FAILED_PRECONDITION',
  [IdentityErrorCode.MergeIntoSelf]: 'INVALID_ARGUMENT',
  [IdentityErrorCode.MergeIntoDeceased]: 'FAILED_PRECONDITION',
  [IdentityErrorCode.MergeIntoMerged]: 'FAILED_PRECONDITION',
  [IdentityErrorCode.MergeSourceMerged]: 'FAILED_PRECONDITION',
  [IdentityErrorCode.NumberRangeExhausted]: 'RESOURCE_EXHAUSTED',
  [IdentityErrorCode.RestrictedScopeRequired]: 'PERMISSION_DENIED',
  [IdentityErrorCode.NotYourRegion]: 'PERMISSION_DENIED',
};

export type { FieldViolation };

export interface DuplicateCandidateDetail {
  match: 'single-match' | 'multiple-match';
  threshold: number;
  candidates: Array<{ nhsNumber: string; score: number; matchedOn: string[] }>;
}

export class IdentityError extends DomainError<IdentityErrorCode> {
  constructor(
    code: IdentityErrorCode,
    message: string,
    violations: FieldViolation[] = [],
    readonly metadata: Record<string, string> = {},
    readonly duplicates?: DuplicateCandidateDetail,
  ) {
    super('identity', code, IDENTITY_ERROR_KIND[code], message, [
      ...violations,
      // duplicate candidates travel as field violations on "patient" (rule duplicate.<match>), so
      // every client that reads google.rpc.BadRequest sees them without an identity-specific detail
      ...(duplicates?.candidates ?? []).map((c) => ({
        field: 'patient',
        rule: `duplicate.${duplicates!.match}`,
        message: `candidate ${c.nhsNumber} scored ${c.score.toFixed(4)} (${c.matchedOn.join(', ')})`,
      })),
    ]);
  }

  get violations(): readonly FieldViolation[] {
    return this.details;
  }

  /** The duplicate candidates as this caller may see them (DUPLICATE_PATIENT only). */
  candidateHits: Array<{ patient: PatientView; score: number; matchedOn: string[] }> = [];

  withHits(hits: Array<{ patient: PatientView; score: number; matchedOn: string[] }>): this {
    this.candidateHits = hits;
    return this;
  }

  static validation(violations: FieldViolation[]): IdentityError {
    const first = violations[0];
    const message =
      violations.length === 1 && first
        ? `invalid request: ${first.field}: ${first.message}`
        : `invalid request: ${violations.length} field errors`;
    return new IdentityError(IdentityErrorCode.ValidationFailed, message, violations);
  }
}
