import type { ErrorCatalogue } from './catalogue';

/** The gateway's reasons for its systems register (ErrorInfo domain trellis.gateway). */
export const GATEWAY_SYSTEMS_ERRORS = {
  domain: 'gateway',
  codes: {
    NotFound: ['SYSTEM_NOT_FOUND', 'NOT_FOUND'],
    AlreadyExists: ['SYSTEM_ALREADY_EXISTS', 'ALREADY_EXISTS'],
    InvalidArgument: ['SYSTEM_INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
    VersionConflict: ['SYSTEM_VERSION_CONFLICT', 'ABORTED'],
    InvalidState: ['SYSTEM_INVALID_STATE', 'FAILED_PRECONDITION'],
  },
} as const satisfies ErrorCatalogue;
