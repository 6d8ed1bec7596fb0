import {
  DomainError,
  type FieldViolation,
  errorVocabulary,
  type ErrorCodeOf,
} from '@trellis/service-kit';
import type { PatientView } from './patient.model';

/** Identity error vocabulary: each code with its kind, one error class; the platform maps kinds to gRPC. */
const VOCABULARY = {
  ValidationFailed: ['VALIDATION_FAILED', 'INVALID_ARGUMENT'],
  InvalidNhsNumber: ['INVALID_NHS_NUMBER', 'INVALID_ARGUMENT'],
  PatientNotFound: ['PATIENT_NOT_FOUND', 'NOT_FOUND'],
  VersionNotFound: ['VERSION_NOT_FOUND', 'NOT_FOUND'],
  DuplicatePatient: ['DUPLICATE_PATIENT', 'ALREADY_EXISTS'],
  VersionConflict: ['VERSION_CONFLICT', 'ABORTED'],
  PatientSuperseded: ['PATIENT_SUPERSEDED', 'FAILED_PRECONDITION'],
  AlreadyDeceased: ['ALREADY_DECEASED', 'FAILED_PRECONDITION'],
  MergeIntoSelf: ['MERGE_INTO_SELF', 'INVALID_ARGUMENT'],
  MergeIntoDeceased: ['MERGE_INTO_DECEASED', 'FAILED_PRECONDITION'],
  MergeIntoMerged: ['MERGE_INTO_MERGED', 'FAILED_PRECONDITION'],
  MergeSourceMerged: ['MERGE_SOURCE_MERGED', 'FAILED_PRECONDITION'],
  NumberRangeExhausted: ['NUMBER_RANGE_EXHAUSTED', 'RESOURCE_EXHAUSTED'],
  RestrictedScopeRequired: ['RESTRICTED_SCOPE_REQUIRED', 'PERMISSION_DENIED'],
  NotYourRegion: ['NOT_YOUR_REGION', 'PERMISSION_DENIED'],
} as const;

const { codes, kinds: IDENTITY_ERROR_KIND } = errorVocabulary(VOCABULARY);
export const IdentityErrorCode = codes;
export type IdentityErrorCode = ErrorCodeOf<typeof VOCABULARY>;

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
