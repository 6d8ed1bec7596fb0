import { RECORDS_ERRORS } from '@trellis/contracts';
import {
  DomainError,
  type FieldViolation,
  errorVocabulary,
  type ErrorCodeOf,
} from '@trellis/service-kit';

/** The record locator's codes and kinds, from its published error catalogue. */
const { codes, kinds: KIND } = errorVocabulary(RECORDS_ERRORS.codes);
export const RecordsErrorCode = codes;
export type RecordsErrorCode = ErrorCodeOf<typeof RECORDS_ERRORS.codes>;

export class RecordsError extends DomainError<RecordsErrorCode> {
  constructor(code: RecordsErrorCode, message: string, violations: FieldViolation[] = []) {
    super(RECORDS_ERRORS.domain, code, KIND[code], message, violations);
  }

  /** Every problem of a request at once; the code names the kind when all are of one kind. */
  static validation(violations: FieldViolation[]): RecordsError {
    const first = violations[0];
    const only = (rule: (r: string) => boolean) => violations.every((v) => rule(v.rule));
    const code = only((r) => r.startsWith('nhs-number'))
      ? RecordsErrorCode.InvalidNhsNumber
      : only((r) => r === 'type.value-set')
        ? RecordsErrorCode.UnknownRecordType
        : RecordsErrorCode.ValidationFailed;
    const message =
      violations.length === 1 && first
        ? `invalid request: ${first.field}: ${first.message}`
        : `invalid request: ${violations.length} field errors`;
    return new RecordsError(code, message, violations);
  }
}
