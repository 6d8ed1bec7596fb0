import { NOTIFICATIONS_ERRORS } from '@trellis/contracts';
import { codedError, type CodeOf } from '@trellis/service-kit';

/**
 * The notifications service's error, built from its published error catalogue (gRPC status +
 * ErrorInfo reason = code).
 */
export class NotificationsError extends codedError(NOTIFICATIONS_ERRORS, 'Invalid subscription') {}
export const NotificationsErrorCode = NotificationsError.codes;
export type NotificationsErrorCode = CodeOf<typeof NotificationsError>;
