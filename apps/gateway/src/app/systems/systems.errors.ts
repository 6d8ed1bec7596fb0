import { codedError, type ErrorKind, type FieldViolation } from '@trellis/platform';

export enum SystemsErrorCode {
  NotFound = 'SYSTEM_NOT_FOUND',
  AlreadyExists = 'SYSTEM_ALREADY_EXISTS',
  InvalidArgument = 'SYSTEM_INVALID_ARGUMENT',
  VersionConflict = 'SYSTEM_VERSION_CONFLICT',
  InvalidState = 'SYSTEM_INVALID_STATE',
}

const KIND: Record<SystemsErrorCode, ErrorKind> = {
  [SystemsErrorCode.NotFound]: 'NOT_FOUND',
  [SystemsErrorCode.AlreadyExists]: 'ALREADY_EXISTS',
  [SystemsErrorCode.InvalidArgument]: 'INVALID_ARGUMENT',
  [SystemsErrorCode.VersionConflict]: 'ABORTED',
  [SystemsErrorCode.InvalidState]: 'FAILED_PRECONDITION',
};

export type { FieldViolation };

/** The one error class of the systems context (mapped by the platform's error vocabulary). */
export class SystemsError extends codedError({
  domain: 'gateway',
  kinds: KIND,
  invalidCode: SystemsErrorCode.InvalidArgument,
}) {}
