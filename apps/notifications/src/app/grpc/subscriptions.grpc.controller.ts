import type { Resource } from '@medplum/fhirtypes';
import { requireCaller } from '@trellis/auth';
import { notifications, toTimestamp } from '@trellis/contracts';
import { PAYLOAD_CONTENTS } from '@trellis/fhir';
import { grpcController } from '@trellis/service-kit';

import { FOCUS_READER, readEventFoci, SUBSCRIBER_ACCESS } from '../delivery/event-foci';
import type { FocusReader } from '../delivery/focus-reader';
import type { SubscriberAccess } from '../delivery/subscriber-access';
import { NotificationsError } from '../notifications.errors';

import {
  SubscriptionsService,
  type NotificationEventRow,
  type SubscriptionRow,
} from '../subscriptions/subscriptions.service';

export function subscriptionToProto(s: SubscriptionRow): notifications.v1.Subscription {
  return {
    id: s.id,
    topic: s.topic,
    status: s.status,
    endpoint: s.endpoint,
    payloadContent: s.payloadContent,
    headers: s.headers,
    heartbeatPeriodSeconds: s.heartbeatSeconds,
    timeoutSeconds: s.timeoutSeconds,
    patientNhsNumber: s.patientNhsNumber,
    reason: s.reason,
    ownerSystemId: s.ownerSystemId,
    ownerOdsCode: s.ownerOdsCode,
    eventsSinceSubscriptionStart: Number(s.eventCount),
    deliveredThrough: Number(s.deliveredThrough),
    lastError: s.lastError,
    createdAt: toTimestamp(s.createdAt),
    ...(s.lastDeliveryAt ? { lastDeliveryAt: toTimestamp(s.lastDeliveryAt) } : {}),
    ...(s.eventCount > s.deliveredThrough ? { nextAttemptAt: toTimestamp(s.nextAttemptAt) } : {}),
  };
}

function eventToProto(
  e: NotificationEventRow,
  focus?: Resource,
): notifications.v1.SubscriptionEvent {
  return {
    eventNumber: Number(e.eventNumber),
    notificationId: e.notificationId,
    occurredAt: toTimestamp(e.occurredAt),
    focus: e.focus,
    patient: e.patient,
    sourceEventId: e.sourceEventId,
    sourceEventType: e.sourceEventType,
    resourceJson: focus ? JSON.stringify(focus) : '',
  };
}

export const SubscriptionsGrpcController = grpcController(
  notifications.v1.SubscriptionServiceDefinition,
  [SubscriptionsService, SUBSCRIBER_ACCESS, FOCUS_READER],
  (subscriptions: SubscriptionsService, access: SubscriberAccess, reader: FocusReader | null) => ({
    createSubscription: async (req, md) => {
      const row = await subscriptions.create(requireCaller(md), req);
      return { subscription: subscriptionToProto(row) };
    },

    getSubscription: async (req, md) => ({
      subscription: subscriptionToProto(await subscriptions.get(requireCaller(md), req.id)),
    }),

    listSubscriptions: async (req, md) => {
      const rows = await subscriptions.list(requireCaller(md), req);
      return { subscriptions: rows.map(subscriptionToProto) };
    },

    deleteSubscription: async (req, md) => {
      await subscriptions.delete(requireCaller(md), req.id);
      return {};
    },

    getSubscriptionEvents: async (req, md) => {
      if (req.content && !(PAYLOAD_CONTENTS as readonly string[]).includes(req.content))
        throw NotificationsError.invalid([
          {
            field: 'content',
            rule: 'subscription.payload-unsupported',
            message: `content must be one of ${PAYLOAD_CONTENTS.join(', ')}`,
          },
        ]);
      const res = await subscriptions.events(
        requireCaller(md),
        req.id,
        BigInt(req.sinceNumber),
        BigInt(req.untilNumber),
      );
      // full-resource: each focus read as the subscriber, as its push delivery reads it
      const foci =
        (req.content || res.subscription.payloadContent) === 'full-resource'
          ? await readEventFoci(res.subscription, res.events, access, reader ?? undefined)
          : [];
      return {
        subscription: subscriptionToProto(res.subscription),
        events: res.events.map((e, i) => eventToProto(e, foci[i])),
      };
    },
  }),
);
