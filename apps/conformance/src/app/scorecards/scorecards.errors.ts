import { codedError, type CodeOf } from '@trellis/service-kit';

/** The one error class of the scorecards context, declared with its error vocabulary. */
export class ScorecardError extends codedError('conformance', {
  InvalidArgument: ['SCORECARD_INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
  NotFound: ['SCORECARD_NOT_FOUND', 'NOT_FOUND'],
  NotYours: ['SCORECARD_NOT_YOURS', 'PERMISSION_DENIED'],
}) {}
export const ScorecardErrorCode = ScorecardError.codes;
export type ScorecardErrorCode = CodeOf<typeof ScorecardError>;
