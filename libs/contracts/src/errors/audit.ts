import type { ErrorCatalogue } from './catalogue';
import { INVALID_ARGUMENT_ERROR_CODE } from './shared';

/** The audit store's reasons (ErrorInfo domain trellis.audit). */
export const AUDIT_ERRORS = {
  domain: 'audit',
  codes: {
    ...INVALID_ARGUMENT_ERROR_CODE,
    /** Unknown, or not visible to the caller (never says which). */
    AccessEventNotFound: ['ACCESS_EVENT_NOT_FOUND', 'NOT_FOUND'],
    /** A filter outside what the caller may see (another organisation, another patient). */
    NotYourAudit: ['NOT_YOUR_AUDIT', 'PERMISSION_DENIED'],
  },
} as const satisfies ErrorCatalogue;
