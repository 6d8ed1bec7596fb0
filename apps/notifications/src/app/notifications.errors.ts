import { codedError, INVALID_ARGUMENT_ERROR_CODE, type CodeOf } from '@trellis/service-kit';

/** The notifications service's error vocabulary (gRPC status + ErrorInfo reason = code). */
export class NotificationsError extends codedError(
  'notifications',
  {
    ...INVALID_ARGUMENT_ERROR_CODE,
    UnknownTopic: ['UNKNOWN_TOPIC', 'INVALID_ARGUMENT'],
    /** The caller lacks read access to the topic's focus resource type. */
    MissingScope: ['MISSING_SCOPE', 'PERMISSION_DENIED'],
    /** Unknown, deleted, or another system's (never says which). */
    SubscriptionNotFound: ['SUBSCRIPTION_NOT_FOUND', 'NOT_FOUND'],
    TooManySubscriptions: ['TOO_MANY_SUBSCRIPTIONS', 'FAILED_PRECONDITION'],
    /** A full-resource focus could not be read at the gateway now (retry later). */
    FocusUnavailable: ['FOCUS_UNAVAILABLE', 'UNAVAILABLE'],
  },
  'Invalid subscription',
) {}
export const NotificationsErrorCode = NotificationsError.codes;
export type NotificationsErrorCode = CodeOf<typeof NotificationsError>;
