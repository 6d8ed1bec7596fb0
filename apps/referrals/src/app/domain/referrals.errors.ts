import { REFERRALS_ERRORS } from '@trellis/contracts';
import { patientDirectoryErrorsOf } from '@trellis/identity-client';
import { codedErrorWithMetadata, type CodeOf } from '@trellis/service-kit';

/**
 * The referrals platform's domain error, built from its published error catalogue. Every refusal
 * carries a stable code; the platform's exception filter turns the code's kind into a gRPC status
 * and the details into google.rpc.ErrorInfo (reason = code, domain = trellis.referrals) and
 * BadRequest violations; `metadata` keeps machine-readable facts (current state).
 */
export class ReferralsError extends codedErrorWithMetadata(REFERRALS_ERRORS) {}
export const ReferralsErrorCode = ReferralsError.codes;
export type ReferralsErrorCode = CodeOf<typeof ReferralsError>;

/** How @trellis/identity-client failures become ReferralsErrors (the NHS number goes in metadata). */
export const patientDirectoryErrors = patientDirectoryErrorsOf(ReferralsError);
