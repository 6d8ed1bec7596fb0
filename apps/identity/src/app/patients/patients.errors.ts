import type { PatientView } from './patient.model';

/** Identity error vocabulary: one code enum, one error class; mapped to gRPC in one place. */

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
}

export interface FieldViolation {
  /** request field path, e.g. "patient.names[0].family" */
  field: string;
  /** stable rule id, e.g. "required", "nhs-number.checksum" */
  rule: string;
  message: string;
}

export interface DuplicateCandidateDetail {
  match: 'single-match' | 'multiple-match';
  threshold: number;
  candidates: Array<{ nhsNumber: string; score: number; matchedOn: string[] }>;
}

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    readonly violations: FieldViolation[] = [],
    readonly metadata: Record<string, string> = {},
    readonly duplicates?: DuplicateCandidateDetail,
  ) {
    super(message);
    this.name = 'IdentityError';
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
