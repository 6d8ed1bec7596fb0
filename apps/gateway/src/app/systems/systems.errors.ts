import { GATEWAY_SYSTEMS_ERRORS } from '@trellis/contracts';
import { codedError, type CodeOf, type FieldViolation } from '@trellis/service-kit';

/** The one error class of the systems context, built from its published error catalogue. */
export class SystemsError extends codedError(GATEWAY_SYSTEMS_ERRORS) {}
export const SystemsErrorCode = SystemsError.codes;
export type SystemsErrorCode = CodeOf<typeof SystemsError>;

export type { FieldViolation };
