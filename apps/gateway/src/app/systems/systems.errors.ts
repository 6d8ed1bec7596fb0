import {
  codedError,
  errorVocabulary,
  type ErrorCodeOf,
  type FieldViolation,
} from '@trellis/service-kit';

const VOCABULARY = {
  NotFound: ['SYSTEM_NOT_FOUND', 'NOT_FOUND'],
  AlreadyExists: ['SYSTEM_ALREADY_EXISTS', 'ALREADY_EXISTS'],
  InvalidArgument: ['SYSTEM_INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
  VersionConflict: ['SYSTEM_VERSION_CONFLICT', 'ABORTED'],
  InvalidState: ['SYSTEM_INVALID_STATE', 'FAILED_PRECONDITION'],
} as const;

const { codes, kinds: KIND } = errorVocabulary(VOCABULARY);
export const SystemsErrorCode = codes;
export type SystemsErrorCode = ErrorCodeOf<typeof VOCABULARY>;

export type { FieldViolation };

/** The one error class of the systems context (mapped by the platform's error vocabulary). */
export class SystemsError extends codedError({
  domain: 'gateway',
  kinds: KIND,
  invalidCode: SystemsErrorCode.InvalidArgument,
}) {}
