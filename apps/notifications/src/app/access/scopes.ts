import { defineScopeTable } from '@trellis/auth';

const SVC = '/trellis.notifications.v1.SubscriptionService';

/**
 * The notifications service's scope table. Managing subscriptions needs `system/Subscription.*`
 * (c, r, s, d); which topics a system may subscribe to is the service's rule (read scope on the
 * topic's focus type). Reading a stream names patients, so $events is audited as patient data.
 */
export const NOTIFICATIONS_SCOPES = defineScopeTable({
  [`${SVC}/CreateSubscription`]: { scope: 'system/Subscription.c', resourceType: 'Subscription' },
  [`${SVC}/GetSubscription`]: { scope: 'system/Subscription.r', resourceType: 'Subscription' },
  [`${SVC}/ListSubscriptions`]: { scope: 'system/Subscription.s', resourceType: 'Subscription' },
  [`${SVC}/DeleteSubscription`]: { scope: 'system/Subscription.d', resourceType: 'Subscription' },
  [`${SVC}/GetSubscriptionEvents`]: {
    scope: 'system/Subscription.r',
    patientData: true,
    resourceType: 'Subscription',
    subject: (req) => ({ resourceId: (req as { id?: string }).id }),
  },
});
