import { codedError, errorVocabulary, type ErrorCodeOf } from '@trellis/service-kit';

/** The notifications service's error vocabulary (gRPC status + ErrorInfo reason = code). */
const VOCABULARY = {
  InvalidArgument: ['INVALID_ARGUMENT', 'INVALID_ARGUMENT'],
  UnknownTopic: ['UNKNOWN_TOPIC', 'INVALID_ARGUMENT'],
  /** The caller lacks read access to the topic's focus resource type. */
  MissingScope: ['MISSING_SCOPE', 'PERMISSION_DENIED'],
  /** Unknown, deleted, or another system's (never says which). */
  SubscriptionNotFound: ['SUBSCRIPTION_NOT_FOUND', 'NOT_FOUND'],
  TooManySubscriptions: ['TOO_MANY_SUBSCRIPTIONS', 'FAILED_PRECONDITION'],
  /** A full-resource focus could not be read at the gateway now (retry later). */
  FocusUnavailable: ['FOCUS_UNAVAILABLE', 'UNAVAILABLE'],
} as const;

const { codes, kinds: KIND } = errorVocabulary(VOCABULARY);
export const NotificationsErrorCode = codes;
export type NotificationsErrorCode = ErrorCodeOf<typeof VOCABULARY>;

export class NotificationsError extends codedError({
  domain: 'notifications',
  kinds: KIND,
  invalidCode: NotificationsErrorCode.InvalidArgument,
  invalidPrefix: 'Invalid subscription',
}) {}
