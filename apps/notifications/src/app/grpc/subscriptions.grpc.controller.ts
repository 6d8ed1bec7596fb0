import type { Metadata } from '@grpc/grpc-js';
import type { Resource } from '@medplum/fhirtypes';
import { Controller, Inject } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { notifications, toTimestamp } from '@trellis/contracts';
import { PAYLOAD_CONTENTS } from '@trellis/fhir';

import { FOCUS_READER, readEventFoci, SUBSCRIBER_ACCESS } from '../delivery/event-foci';
import type { FocusReader } from '../delivery/focus-reader';
import type { SubscriberAccess } from '../delivery/subscriber-access';
import { NotificationsError } from '../notifications.errors';

import {
  SubscriptionsService,
  type NotificationEventRow,
  type SubscriptionRow,
} from '../subscriptions/subscriptions.service';

const { SubscriptionServiceControllerMethods } = notifications.v1;

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

@Controller()
@SubscriptionServiceControllerMethods()
export class SubscriptionsGrpcController implements notifications.v1.SubscriptionServiceController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    @Inject(SUBSCRIBER_ACCESS) private readonly access: SubscriberAccess,
    @Inject(FOCUS_READER) private readonly reader: FocusReader | null,
  ) {}

  async createSubscription(
    req: notifications.v1.CreateSubscriptionRequest,
    md?: Metadata,
  ): Promise<notifications.v1.CreateSubscriptionResponse> {
    const row = await this.subscriptions.create(requireCaller(md), req);
    return { subscription: subscriptionToProto(row) };
  }

  async getSubscription(
    req: notifications.v1.GetSubscriptionRequest,
    md?: Metadata,
  ): Promise<notifications.v1.GetSubscriptionResponse> {
    return {
      subscription: subscriptionToProto(await this.subscriptions.get(requireCaller(md), req.id)),
    };
  }

  async listSubscriptions(
    req: notifications.v1.ListSubscriptionsRequest,
    md?: Metadata,
  ): Promise<notifications.v1.ListSubscriptionsResponse> {
    const rows = await this.subscriptions.list(requireCaller(md), req);
    return { subscriptions: rows.map(subscriptionToProto) };
  }

  async deleteSubscription(
    req: notifications.v1.DeleteSubscriptionRequest,
    md?: Metadata,
  ): Promise<notifications.v1.DeleteSubscriptionResponse> {
    await this.subscriptions.delete(requireCaller(md), req.id);
    return {};
  }

  async getSubscriptionEvents(
    req: notifications.v1.GetSubscriptionEventsRequest,
    md?: Metadata,
  ): Promise<notifications.v1.GetSubscriptionEventsResponse> {
    if (req.content && !(PAYLOAD_CONTENTS as readonly string[]).includes(req.content))
      throw NotificationsError.invalid([
        {
          field: 'content',
          rule: 'subscription.payload-unsupported',
          message: `content must be one of ${PAYLOAD_CONTENTS.join(', ')}`,
        },
      ]);
    const res = await this.subscriptions.events(
      requireCaller(md),
      req.id,
      BigInt(req.sinceNumber),
      BigInt(req.untilNumber),
    );
    // full-resource: each focus read as the subscriber, as its push delivery reads it
    const foci =
      (req.content || res.subscription.payloadContent) === 'full-resource'
        ? await readEventFoci(res.subscription, res.events, this.access, this.reader ?? undefined)
        : [];
    return {
      subscription: subscriptionToProto(res.subscription),
      events: res.events.map((e, i) => eventToProto(e, foci[i])),
    };
  }
}
