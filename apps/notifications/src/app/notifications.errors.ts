import { codedError, type ErrorKind } from '@trellis/platform';

/** The notifications service's error vocabulary (gRPC status + ErrorInfo reason = code). */
export enum NotificationsErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  UnknownTopic = 'UNKNOWN_TOPIC',
  /** The caller lacks read access to the topic's focus resource type. */
  MissingScope = 'MISSING_SCOPE',
  /** Unknown, deleted, or another system's (never says which). */
  SubscriptionNotFound = 'SUBSCRIPTION_NOT_FOUND',
  TooManySubscriptions = 'TOO_MANY_SUBSCRIPTIONS',
  /** A full-resource focus could not be read at the gateway now (retry later). */
  FocusUnavailable = 'FOCUS_UNAVAILABLE',
}

const KIND: Record<NotificationsErrorCode, ErrorKind> = {
  [NotificationsErrorCode.InvalidArgument]: 'INVALID_ARGUMENT',
  [NotificationsErrorCode.UnknownTopic]: 'INVALID_ARGUMENT',
  [NotificationsErrorCode.MissingScope]: 'PERMISSION_DENIED',
  [NotificationsErrorCode.SubscriptionNotFound]: 'NOT_FOUND',
  [NotificationsErrorCode.TooManySubscriptions]: 'FAILED_PRECONDITION',
  [NotificationsErrorCode.FocusUnavailable]: 'UNAVAILABLE',
};

export class NotificationsError extends codedError({
  domain: 'notifications',
  kinds: KIND,
  invalidCode: NotificationsErrorCode.InvalidArgument,
  invalidPrefix: 'Invalid subscription',
}) {}
