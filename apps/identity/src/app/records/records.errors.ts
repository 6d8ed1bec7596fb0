import { PATIENT_DIRECTORY_ERROR_CODES } from '@trellis/identity-client';
import {
  DomainError,
  type FieldViolation,
  errorVocabulary,
  type ErrorCodeOf,
} from '@trellis/service-kit';

/** The record locator's error vocabulary (ErrorInfo domain trellis.records). */
const VOCABULARY = {
  ValidationFailed: ['VALIDATION_FAILED', 'INVALID_ARGUMENT'],
  InvalidNhsNumber: ['INVALID_NHS_NUMBER', 'INVALID_ARGUMENT'],
  UnknownRecordType: ['UNKNOWN_RECORD_TYPE', 'INVALID_ARGUMENT'],
  // a well-formed pointer the index cannot accept in its current state: the patient-directory
  // refusal every platform answers for an unknown patient
  PatientNotFound: PATIENT_DIRECTORY_ERROR_CODES.PatientNotFound,
  PatientSuperseded: ['PATIENT_SUPERSEDED', 'FAILED_PRECONDITION'],
  PointerNotFound: ['POINTER_NOT_FOUND', 'NOT_FOUND'],
  PointerVersionNotFound: ['POINTER_VERSION_NOT_FOUND', 'NOT_FOUND'],
  // the change was based on a version that is no longer the pointer's (FHIR If-Match: 412)
  VersionConflict: ['VERSION_CONFLICT', 'ABORTED'],
  PointerDeleted: ['POINTER_DELETED', 'NOT_FOUND'],
  PointerExists: ['POINTER_EXISTS', 'ALREADY_EXISTS'],
  PointerNotCurrent: ['POINTER_NOT_CURRENT', 'FAILED_PRECONDITION'],
  NotCustodian: ['NOT_CUSTODIAN', 'PERMISSION_DENIED'],
  NoOrganisation: ['NO_ORGANISATION', 'PERMISSION_DENIED'],
} as const;

const { codes, kinds: KIND } = errorVocabulary(VOCABULARY);
export const RecordsErrorCode = codes;
export type RecordsErrorCode = ErrorCodeOf<typeof VOCABULARY>;

export class RecordsError extends DomainError<RecordsErrorCode> {
  constructor(code: RecordsErrorCode, message: string, violations: FieldViolation[] = []) {
    super('records', code, KIND[code], message, violations);
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
