import { DomainError, type ErrorKind, type FieldViolation } from '@trellis/platform';

/** The record locator's error vocabulary (ErrorInfo domain trellis.records). */
export enum RecordsErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  InvalidNhsNumber = 'INVALID_NHS_NUMBER',
  UnknownRecordType = 'UNKNOWN_RECORD_TYPE',
  PatientNotFound = 'PATIENT_NOT_FOUND',
  PatientSuperseded = 'PATIENT_SUPERSEDED',
  PointerNotFound = 'POINTER_NOT_FOUND',
  PointerVersionNotFound = 'POINTER_VERSION_NOT_FOUND',
  VersionConflict = 'VERSION_CONFLICT',
  PointerDeleted = 'POINTER_DELETED',
  PointerExists = 'POINTER_EXISTS',
  PointerNotCurrent = 'POINTER_NOT_CURRENT',
  NotCustodian = 'NOT_CUSTODIAN',
  NoOrganisation = 'NO_ORGANISATION',
}

const KIND: Record<RecordsErrorCode, ErrorKind> = {
  [RecordsErrorCode.ValidationFailed]: 'INVALID_ARGUMENT',
  [RecordsErrorCode.InvalidNhsNumber]: 'INVALID_ARGUMENT',
  [RecordsErrorCode.UnknownRecordType]: 'INVALID_ARGUMENT',
  // a well-formed pointer the index cannot accept in its current state
  [RecordsErrorCode.PatientNotFound]: 'FAILED_PRECONDITION',
  [RecordsErrorCode.PatientSuperseded]: 'FAILED_PRECONDITION',
  [RecordsErrorCode.PointerNotFound]: 'NOT_FOUND',
  [RecordsErrorCode.PointerVersionNotFound]: 'NOT_FOUND',
  // the change was based on a version that is no longer the pointer's (FHIR If-Match: 412)
  [RecordsErrorCode.VersionConflict]: 'ABORTED',
  [RecordsErrorCode.PointerDeleted]: 'NOT_FOUND',
  [RecordsErrorCode.PointerExists]: 'ALREADY_EXISTS',
  [RecordsErrorCode.PointerNotCurrent]: 'FAILED_PRECONDITION',
  [RecordsErrorCode.NotCustodian]: 'PERMISSION_DENIED',
  [RecordsErrorCode.NoOrganisation]: 'PERMISSION_DENIED',
};

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
