import { randomUUID } from 'node:crypto';

import type { Resource } from '@medplum/fhirtypes';
import { fromTimestamp } from '@trellis/contracts';
import {
  FhirError,
  notificationBundle,
  PAYLOAD_CONTENTS,
  type PayloadContent,
} from '@trellis/fhir';
import type { Request, Response } from 'express';

import {
  callSubscriptions,
  requiredSubscription,
  servedClient,
  statusView,
  subscriptionCallContext,
  subscriptionId,
  subscriptionsBase,
  type SubscriptionsFhirContext,
} from '../../subscriptions/subscriptions.fhir';
import { sendFhir } from '../fhir.http';
import type { FhirSearchParam } from '../fhir.search';
import { fhirOperation } from './fhir-operation';

/** The query $events reads (checked against this table, declared as the operation's parameters). */
export const EVENTS_PARAMS: FhirSearchParam[] = [
  {
    name: 'eventsSinceNumber',
    type: 'number',
    documentation: 'First event number (inclusive); none = the oldest kept',
  },
  {
    name: 'eventsUntilNumber',
    type: 'number',
    documentation: 'Last event number (inclusive); none = the latest (at most 500 events)',
  },
  {
    name: 'content',
    type: 'token',
    documentation:
      'empty | id-only | full-resource (default: the subscription’s; full-resource entries carry each focus as the caller’s own read returns it now)',
  },
];

/** GET /fhir/Subscription/:id/$events */
export const SUBSCRIPTION_EVENTS = fhirOperation(
  {
    resourceType: 'OperationDefinition',
    id: 'subscription-events',
    name: 'events',
    status: 'active',
    kind: 'operation',
    description:
      'Events of the subscription’s stream from eventsSinceNumber to eventsUntilNumber (inclusive, at most 500), as a notification Bundle of type query-event',
    affectsState: false,
    code: 'events',
    resource: ['Subscription'],
    system: false,
    type: false,
    instance: true,
    parameter: [
      ...EVENTS_PARAMS.map((p) => ({
        name: p.name,
        use: 'in' as const,
        min: 0,
        max: '1',
        documentation: p.documentation,
        type: p.type === 'number' ? 'string' : 'code',
      })),
      { name: 'return', use: 'out', min: 1, max: '1', documentation: 'events', type: 'Bundle' },
    ],
  },
  {
    method: 'GET',
    platform: 'notifications',
    scope: 'system/Subscription.r',
    searchParams: EVENTS_PARAMS,
    summary: 'The subscription’s notification events by number range (backport $events)',
  },
);

function isPayloadContent(v: unknown): v is PayloadContent {
  return typeof v === 'string' && (PAYLOAD_CONTENTS as readonly string[]).includes(v);
}

/**
 * Serves Subscription/{id}/$events: the events of the caller's subscription from number to number
 * as a query-event notification Bundle (full-resource: each focus read as a push delivery would).
 */
export async function subscriptionEvents(
  ctx: SubscriptionsFhirContext,
  req: Request,
  res: Response,
): Promise<void> {
  const client = servedClient(ctx);
  const q = req.query;
  const number = (name: string): number => {
    const v = q[name];
    if (v === undefined) return 0;
    if (typeof v !== 'string' || !/^[1-9]\d{0,14}$/.test(v))
      throw FhirError.of(
        400,
        'invalid',
        'subscription.events-range',
        `${name} must be a positive integer`,
        name,
      );
    return Number(v);
  };
  const since = number('eventsSinceNumber');
  const until = number('eventsUntilNumber');
  const content = q['content'];
  if (content !== undefined && !isPayloadContent(content))
    throw FhirError.of(
      400,
      'not-supported',
      'subscription.payload-unsupported',
      `content must be one of ${PAYLOAD_CONTENTS.join(', ')}`,
      'content',
    );
  // full-resource: the notifications service reads each focus as a push delivery would
  const got = await callSubscriptions(() =>
    client.events(
      { id: subscriptionId(req), sinceNumber: since, untilNumber: until, content: content ?? '' },
      subscriptionCallContext(req),
    ),
  );
  const s = requiredSubscription(got.subscription);
  sendFhir(
    res,
    200,
    notificationBundle(
      randomUUID(),
      statusView(s),
      'query-event',
      got.events.map((e) => ({
        eventNumber: String(e.eventNumber),
        occurredAt: e.occurredAt ? fromTimestamp(e.occurredAt) : new Date(0),
        focus: e.focus,
        patient: e.patient,
        ...(e.resourceJson ? { resource: JSON.parse(e.resourceJson) as Resource } : {}),
      })),
      content ?? (s.payloadContent as PayloadContent),
      new Date(),
      subscriptionsBase(ctx),
    ),
  );
}
