import { subscriptionStatusParameters } from '@trellis/fhir';
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
import { bundle } from '../fhir.support';
import { fhirOperation, instanceOperationDefinition, returnParameter } from './fhir-operation';

/** GET /fhir/Subscription/:id/$status */
export const SUBSCRIPTION_STATUS = fhirOperation(
  instanceOperationDefinition('Subscription', 'status', {
    description: 'SubscriptionStatus (as Parameters) of one subscription, in a searchset Bundle',
    affectsState: false,
    parameter: [returnParameter('Bundle', 'status')],
  }),
  {
    method: 'GET',
    platform: 'notifications',
    scope: 'system/Subscription.r',
    summary: 'The subscription’s status: events since start, delivery error (backport $status)',
  },
);

/** Serves Subscription/{id}/$status: the caller's subscription as SubscriptionStatus. */
export async function subscriptionStatus(
  ctx: SubscriptionsFhirContext,
  req: Request,
  res: Response,
): Promise<void> {
  const client = servedClient(ctx);
  const got = await callSubscriptions(() =>
    client.get({ id: subscriptionId(req) }, subscriptionCallContext(req)),
  );
  const s = requiredSubscription(got.subscription);
  const base = subscriptionsBase(ctx);
  const parameters = subscriptionStatusParameters(statusView(s), 'query-status', [], 'empty', base);
  sendFhir(
    res,
    200,
    bundle('searchset', [{ resource: parameters, search: { mode: 'match' } }], {
      self: `${base}/Subscription/${s.id}/$status`,
    }),
  );
}
