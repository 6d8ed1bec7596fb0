import type { ErrorCatalogue } from './catalogue';
import { PATIENT_DIRECTORY_ERROR_CODES } from './shared';

/** The identity service's reasons for the patient directory (ErrorInfo domain trellis.identity). */
export const IDENTITY_ERRORS = {
  domain: 'identity',
  codes: {
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
  },
} as const satisfies ErrorCatalogue;

/** The record locator's reasons (served by identity; ErrorInfo domain trellis.records). */
export const RECORDS_ERRORS = {
  domain: 'records',
  codes: {
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
  },
} as const satisfies ErrorCatalogue;
