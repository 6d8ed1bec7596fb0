// The refusals every platform that looks patients up in identity shares: the same ErrorInfo
// reasons and kinds in each platform's vocabulary (spread into its errorVocabulary).
import type { PatientDirectoryErrors } from './identity-patient-directory';

/** The patient's standing refuses the request, or identity refused or could not answer. */
export const PATIENT_DIRECTORY_ERROR_CODES = {
  PatientNotFound: ['PATIENT_NOT_FOUND', 'FAILED_PRECONDITION'],
  PatientMerged: ['PATIENT_MERGED', 'FAILED_PRECONDITION'],
  PatientLookupDenied: ['PATIENT_LOOKUP_DENIED', 'PERMISSION_DENIED'],
  IdentityUnavailable: ['IDENTITY_UNAVAILABLE', 'UNAVAILABLE'],
} as const;

/** For the platforms that refuse a deceased patient's new appointment or referral. */
export const PATIENT_DECEASED_ERROR_CODE = {
  PatientDeceased: ['PATIENT_DECEASED', 'FAILED_PRECONDITION'],
} as const;

/** Which codes identity's failures become (the `patientDirectoryErrors` of a coded error). */
export const PATIENT_DIRECTORY_FAILURES = {
  lookupDenied: PATIENT_DIRECTORY_ERROR_CODES.PatientLookupDenied[0],
  unavailable: PATIENT_DIRECTORY_ERROR_CODES.IdentityUnavailable[0],
} as const;

/** A platform error class built by @trellis/service-kit's codedErrorWithMetadata. */
interface PlatformErrorClass {
  patientDirectoryErrors(codes: typeof PATIENT_DIRECTORY_FAILURES): PatientDirectoryErrors;
}

/** How identity's failures become a platform's errors (PATIENT_LOOKUP_DENIED, IDENTITY_UNAVAILABLE; the NHS number in metadata). */
export function patientDirectoryErrorsOf(errorClass: PlatformErrorClass): PatientDirectoryErrors {
  return errorClass.patientDirectoryErrors(PATIENT_DIRECTORY_FAILURES);
}
