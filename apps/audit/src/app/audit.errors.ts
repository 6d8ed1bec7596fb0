import { AUDIT_ERRORS } from '@trellis/contracts';
import { codedError, type CodeOf } from '@trellis/service-kit';

/** The audit store's error, built from its published error catalogue. */
export class AuditError extends codedError(AUDIT_ERRORS) {}
export const AuditErrorCode = AuditError.codes;
export type AuditErrorCode = CodeOf<typeof AuditError>;
