import { codedError, errorVocabulary, type ErrorCodeOf } from '@trellis/service-kit';

const VOCABULARY = {
  InvalidArgument: ['SCORECARD_INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
  NotFound: ['SCORECARD_NOT_FOUND', 'NOT_FOUND'],
  NotYours: ['SCORECARD_NOT_YOURS', 'PERMISSION_DENIED'],
} as const;

const { codes, kinds: KIND } = errorVocabulary(VOCABULARY);
export const ScorecardErrorCode = codes;
export type ScorecardErrorCode = ErrorCodeOf<typeof VOCABULARY>;

/** The one error class of the scorecards context (mapped by the platform's error vocabulary). */
export class ScorecardError extends codedError({
  domain: 'conformance',
  kinds: KIND,
  invalidCode: ScorecardErrorCode.InvalidArgument,
}) {}
