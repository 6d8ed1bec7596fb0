import { codedError, INVALID_ARGUMENT_ERROR_CODE, type CodeOf } from '@trellis/service-kit';

/** The audit store's error vocabulary (gRPC status + google.rpc.ErrorInfo reason = code). */
export class AuditError extends codedError('audit', {
  ...INVALID_ARGUMENT_ERROR_CODE,
  /** Unknown, or not visible to the caller (never says which). */
  AccessEventNotFound: ['ACCESS_EVENT_NOT_FOUND', 'NOT_FOUND'],
  /** A filter outside what the caller may see (another organisation, another patient). */
  NotYourAudit: ['NOT_YOUR_AUDIT', 'PERMISSION_DENIED'],
}) {}
export const AuditErrorCode = AuditError.codes;
export type AuditErrorCode = CodeOf<typeof AuditError>;
