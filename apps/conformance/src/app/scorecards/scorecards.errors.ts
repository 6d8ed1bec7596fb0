import { CONFORMANCE_SCORECARD_ERRORS } from '@trellis/contracts';
import { codedError, type CodeOf } from '@trellis/service-kit';

/** The one error class of the scorecards context, built from its published error catalogue. */
export class ScorecardError extends codedError(CONFORMANCE_SCORECARD_ERRORS) {}
export const ScorecardErrorCode = ScorecardError.codes;
export type ScorecardErrorCode = CodeOf<typeof ScorecardError>;
