import { RESULTS_ERRORS } from '@trellis/contracts';
import { patientDirectoryErrorsOf } from '@trellis/identity-client';
import { codedErrorWithMetadata, type CodeOf } from '@trellis/service-kit';

/**
 * The results platform's domain error, built from its published error catalogue. Every refusal
 * carries a stable code; the platform's mapper turns the kind into a gRPC status and the details
 * into google.rpc.ErrorInfo (reason = code, domain = trellis.results) and BadRequest field
 * violations.
 */
export class ResultsError extends codedErrorWithMetadata(RESULTS_ERRORS) {}
export const ResultsErrorCode = ResultsError.codes;
export type ResultsErrorCode = CodeOf<typeof ResultsError>;

/** How @trellis/identity-client failures become ResultsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors = patientDirectoryErrorsOf(ResultsError);
