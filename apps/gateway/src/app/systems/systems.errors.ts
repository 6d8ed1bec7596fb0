import { codedError, type CodeOf, type FieldViolation } from '@trellis/service-kit';

/** The one error class of the systems context, declared with its error vocabulary. */
export class SystemsError extends codedError('gateway', {
  NotFound: ['SYSTEM_NOT_FOUND', 'NOT_FOUND'],
  AlreadyExists: ['SYSTEM_ALREADY_EXISTS', 'ALREADY_EXISTS'],
  InvalidArgument: ['SYSTEM_INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
  VersionConflict: ['SYSTEM_VERSION_CONFLICT', 'ABORTED'],
  InvalidState: ['SYSTEM_INVALID_STATE', 'FAILED_PRECONDITION'],
}) {}
export const SystemsErrorCode = SystemsError.codes;
export type SystemsErrorCode = CodeOf<typeof SystemsError>;

export type { FieldViolation };
