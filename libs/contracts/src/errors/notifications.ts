import type { ErrorCatalogue } from './catalogue';
import { INVALID_ARGUMENT_ERROR_CODE } from './shared';

/** The notifications service's reasons (ErrorInfo domain trellis.notifications). */
export const NOTIFICATIONS_ERRORS = {
  domain: 'notifications',
  codes: {
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
} as const satisfies ErrorCatalogue;
