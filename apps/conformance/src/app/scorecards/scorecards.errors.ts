import { codedError, type ErrorKind } from '@trellis/platform';

export enum ScorecardErrorCode {
  InvalidArgument = 'SCORECARD_INVALID_ARGUMENT',
  NotFound = 'SCORECARD_NOT_FOUND',
  NotYours = 'SCORECARD_NOT_YOURS',
}

const KIND: Record<ScorecardErrorCode, ErrorKind> = {
  [ScorecardErrorCode.InvalidArgument]: 'INVALID_ARGUMENT',
  [ScorecardErrorCode.NotFound]: 'NOT_FOUND',
  [ScorecardErrorCode.NotYours]: 'PERMISSION_DENIED',
};

/** The one error class of the scorecards context (mapped by the platform's error vocabulary). */
export class ScorecardError extends codedError({
  domain: 'conformance',
  kinds: KIND,
  invalidCode: ScorecardErrorCode.InvalidArgument,
}) {}
