import { codedError, type ErrorKind } from '@trellis/platform';

/** The audit store's error vocabulary (gRPC status + google.rpc.ErrorInfo reason = code). */
export enum AuditErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  /** Unknown, or not visible to the caller (never says which). */
  AccessEventNotFound = 'ACCESS_EVENT_NOT_FOUND',
  /** A filter outside what the caller may see (another organisation, another patient). */
  NotYourAudit = 'NOT_YOUR_AUDIT',
}

const KIND: Record<AuditErrorCode, ErrorKind> = {
  [AuditErrorCode.InvalidArgument]: 'INVALID_ARGUMENT',
  [AuditErrorCode.AccessEventNotFound]: 'NOT_FOUND',
  [AuditErrorCode.NotYourAudit]: 'PERMISSION_DENIED',
};

export class AuditError extends codedError({
  domain: 'audit',
  kinds: KIND,
  invalidCode: AuditErrorCode.InvalidArgument,
}) {}
