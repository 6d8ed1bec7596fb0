import { type notifications } from '@trellis/contracts';
import { FhirError, fhirErrorFromPlatform, type SubscriptionStatusView } from '@trellis/fhir';
import type { Request } from 'express';

import { forwardContext } from '../fhir/fhir.http';
import { FHIR_PREFIX } from '../fhir/fhir.registry';
import { subscriptionFieldPath } from './subscription-mapping';
import {
  SubscriptionCallError,
  type SubscriptionCallContext,
  type SubscriptionsClient,
} from './subscriptions.client';

/**
 * What the Subscription routes and operations share: the notifications service's client (absent
 * when this gateway serves no subscriptions) and the gateway's public URL.
 */
export interface SubscriptionsFhirContext {
  readonly client: SubscriptionsClient | undefined;
  readonly publicUrl: string;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

/** The FHIR base URL subscriptions are named under. */
export function subscriptionsBase(ctx: SubscriptionsFhirContext): string {
  return `${ctx.publicUrl}/${FHIR_PREFIX}`;
}

/** The notifications client, or 404 when this gateway serves no subscriptions. */
export function servedClient(ctx: SubscriptionsFhirContext): SubscriptionsClient {
  if (!ctx.client)
    throw FhirError.of(
      404,
      'not-supported',
      'fhir.not-supported',
      'Subscription is not served by this gateway',
    );
  return ctx.client;
}

/** The `:id` of a Subscription route (any other shape: not found). */
export function subscriptionId(req: Request): string {
  const id = String(req.params['id']);
  if (!ID.test(id))
    throw FhirError.of(
      404,
      'not-found',
      'fhir.not-found',
      `Subscription/${id.slice(0, 64)} not found`,
    );
  return id;
}

/** The caller's token, trace and correlation, forwarded to the notifications service. */
export function subscriptionCallContext(req: Request): SubscriptionCallContext {
  const c = forwardContext(req);
  return {
    ...(c.authorization ? { authorization: c.authorization } : {}),
    ...(c.traceparent ? { traceparent: c.traceparent } : {}),
    ...(c.correlationId ? { correlationId: c.correlationId } : {}),
    ...(c.vouch ? { vouch: c.vouch } : {}),
  };
}

/** The subscription of an answer (502 when the service returned none). */
export function requiredSubscription(
  s: notifications.v1.Subscription | undefined,
): notifications.v1.Subscription {
  if (!s) throw FhirError.of(502, 'exception', 'platform.bad-response', 'no subscription returned');
  return s;
}

/** Runs a notifications call; its refusal is answered as an OperationOutcome. */
export async function callSubscriptions<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SubscriptionCallError)
      throw fhirErrorFromPlatform(err.decoded, 'Subscription', subscriptionFieldPath);
    throw err;
  }
}

/** A subscription as its SubscriptionStatus shows it. */
export function statusView(s: notifications.v1.Subscription): SubscriptionStatusView {
  return {
    id: s.id,
    topicUrl: s.topic,
    status: s.status,
    eventsSinceSubscriptionStart: String(s.eventsSinceSubscriptionStart),
    ...(s.lastError ? { error: s.lastError } : {}),
  };
}
