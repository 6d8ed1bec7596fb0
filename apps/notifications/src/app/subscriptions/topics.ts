import { SUBSCRIPTION_TOPICS, type SubscriptionTopicSpec } from '@trellis/fhir';

const BY_EVENT_TYPE = new Map<string, SubscriptionTopicSpec>(
  SUBSCRIPTION_TOPICS.flatMap((t) =>
    t.eventTypes.map((e): [string, SubscriptionTopicSpec] => [e, t]),
  ),
);

/** The topic a domain event type raises, if any (each type raises at most one). */
export function subscriptionTopicByEventType(type: string): SubscriptionTopicSpec | undefined {
  return BY_EVENT_TYPE.get(type);
}
