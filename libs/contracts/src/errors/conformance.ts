import type { ErrorCatalogue } from './catalogue';

/** The conformance service's reasons for scorecards (ErrorInfo domain trellis.conformance). */
export const CONFORMANCE_SCORECARD_ERRORS = {
  domain: 'conformance',
  codes: {
    InvalidArgument: ['SCORECARD_INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    NotFound: ['SCORECARD_NOT_FOUND', 'NOT_FOUND'],
    NotYours: ['SCORECARD_NOT_YOURS', 'PERMISSION_DENIED'],
  },
} as const satisfies ErrorCatalogue;
