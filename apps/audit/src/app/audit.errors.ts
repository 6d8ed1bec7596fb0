import { codedError, errorVocabulary, type ErrorCodeOf } from '@trellis/service-kit';

/** The audit store's error vocabulary (gRPC status + google.rpc.ErrorInfo reason = code). */
const VOCABULARY = {
  InvalidArgument: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
  /** Unknown, or not visible to the caller (never says which). */
  AccessEventNotFound: ['ACCESS_EVENT_NOT_FOUND', 'NOT_FOUND'],
  /** A filter outside what the caller may see (another organisation, another patient). */
  NotYourAudit: ['NOT_YOUR_AUDIT', 'PERMISSION_DENIED'],
} as const;

const { codes, kinds: KIND } = errorVocabulary(VOCABULARY);
export const AuditErrorCode = codes;
export type AuditErrorCode = ErrorCodeOf<typeof VOCABULARY>;

export class AuditError extends codedError({
  domain: 'audit',
  kinds: KIND,
  invalidCode: AuditErrorCode.InvalidArgument,
}) {}
