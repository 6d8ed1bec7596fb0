import { IDENTITY_ERRORS } from '@trellis/contracts';
import {
  DomainError,
  type FieldViolation,
  errorVocabulary,
  type ErrorCodeOf,
} from '@trellis/service-kit';
import type { PatientView } from './patient.model';

/** Identity's codes and kinds, from its published error catalogue; one error class. */
const { codes, kinds: IDENTITY_ERROR_KIND } = errorVocabulary(IDENTITY_ERRORS.codes);
export const IdentityErrorCode = codes;
export type IdentityErrorCode = ErrorCodeOf<typeof IDENTITY_ERRORS.codes>;

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
    super(IDENTITY_ERRORS.domain, code, IDENTITY_ERROR_KIND[code], message, [
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
