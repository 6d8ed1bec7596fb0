import { status } from '@grpc/grpc-js';

export enum SystemsErrorCode {
  NotFound = 'SYSTEM_NOT_FOUND',
  AlreadyExists = 'SYSTEM_ALREADY_EXISTS',
  InvalidArgument = 'SYSTEM_INVALID_ARGUMENT',
  VersionConflict = 'SYSTEM_VERSION_CONFLICT',
  InvalidState = 'SYSTEM_INVALID_STATE',
}

export interface FieldViolation {
  field: string;
  description: string;
}

/** The one error class of the systems context; mapped to gRPC by systemsErrorToGrpc. */
export class SystemsError extends Error {
  constructor(
    readonly code: SystemsErrorCode,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
  ) {
    super(message);
    this.name = 'SystemsError';
  }
}

export function grpcStatusOf(code: SystemsErrorCode): status {
  switch (code) {
    case SystemsErrorCode.NotFound:
      return status.NOT_FOUND;
    case SystemsErrorCode.AlreadyExists:
      return status.ALREADY_EXISTS;
    case SystemsErrorCode.InvalidArgument:
      return status.INVALID_ARGUMENT;
    case SystemsErrorCode.VersionConflict:
      return status.ABORTED;
    case SystemsErrorCode.InvalidState:
      return status.FAILED_PRECONDITION;
  }
}
