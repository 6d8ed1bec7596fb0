// The refusals every platform that looks patients up in identity shares: the same ErrorInfo
// reasons and kinds in each platform's vocabulary (spread into its errorVocabulary).
import { PATIENT_DIRECTORY_ERROR_CODES } from '@trellis/contracts';

import type { PatientDirectoryErrors } from './identity-patient-directory';

// Declared with the platforms' error catalogues in @trellis/contracts.
export { PATIENT_DECEASED_ERROR_CODE, PATIENT_DIRECTORY_ERROR_CODES } from '@trellis/contracts';

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
