import { Controller, Inject, Optional, Req, Res, UseFilters } from '@nestjs/common';
import { callerOf } from '@trellis/auth';
import { FhirError, validateFhirResource } from '@trellis/fhir';
import type { Request, Response } from 'express';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { ConformanceRecorder } from '../fhir/conformance';
import { FhirExceptionFilter, forwardContext, sendFhir } from '../fhir/fhir.http';
import { FHIR_PREFIX, FhirRoute } from '../fhir/fhir.registry';
import { droppedOutcome, searchOf, type FhirSearchParam } from '../fhir/fhir.search';
import { bundle } from '../fhir/fhir.support';
import { ServeOperation } from '../fhir/operations/fhir-operation';
import { SUBSCRIPTION_EVENTS, subscriptionEvents } from '../fhir/operations/subscription-events';
import { SUBSCRIPTION_STATUS, subscriptionStatus } from '../fhir/operations/subscription-status';
import {
  type BackportSubscription,
  createRequestOf,
  subscriptionResource,
} from './subscription-mapping';
import {
  callSubscriptions,
  requiredSubscription,
  servedClient,
  subscriptionCallContext,
  subscriptionId,
  subscriptionsBase,
  type SubscriptionsFhirContext,
} from './subscriptions.fhir';
import { SUBSCRIPTIONS_CLIENT, type SubscriptionsClient } from './subscriptions.client';

const SEARCH_PARAMS: FhirSearchParam[] = [
  { name: 'status', type: 'token', documentation: 'requested | active | error | off' },
  { name: 'criteria', type: 'uri', documentation: 'The SubscriptionTopic canonical URL' },
];

/**
 * Topic-based subscriptions (FHIR Subscriptions R5 Backport IG on R4) at the FHIR facade: create,
 * read, search and delete a system's own Subscriptions, `$status` and `$events` (its notification
 * stream by event number; declared and handled in their operation files), all through the
 * notifications service with the caller's token (the service decides which topics the caller may
 * subscribe to and owns the streams).
 */
@Controller(FHIR_PREFIX)
@UseFilters(FhirExceptionFilter)
export class SubscriptionsFhirController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly conformance: ConformanceRecorder,
    @Optional() @Inject(SUBSCRIPTIONS_CLIENT) private readonly client?: SubscriptionsClient,
  ) {}

  @FhirRoute({
    method: 'POST',
    path: 'Subscription',
    resource: 'Subscription',
    platform: 'notifications',
    interaction: 'create',
    scope: 'system/Subscription.c',
    summary:
      'Subscribe to a SubscriptionTopic (rest-hook; empty, id-only or full-resource payload; backport profile)',
  })
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    const client = servedClient(this.fhir);
    const body: unknown = req.body;
    const result = validateFhirResource(body, { resourceType: 'Subscription', mode: 'create' });
    if (!result.valid) {
      await this.conformance.record(
        callerOf(req),
        'Subscription',
        'create',
        result.status,
        result.issues,
        forwardContext(req).correlationId,
      );
      throw new FhirError(result.status, result.issues);
    }
    const created = await callSubscriptions(() =>
      client.create(createRequestOf(body as BackportSubscription), subscriptionCallContext(req)),
    );
    const resource = subscriptionResource(requiredSubscription(created.subscription));
    sendFhir(res, 201, resource, {
      Location: `${this.base()}/Subscription/${String(resource.id)}`,
    });
  }

  @FhirRoute({
    method: 'GET',
    path: 'Subscription/:id',
    resource: 'Subscription',
    platform: 'notifications',
    interaction: 'read',
    scope: 'system/Subscription.r',
    summary: 'One of the caller’s subscriptions',
  })
  async read(@Req() req: Request, @Res() res: Response): Promise<void> {
    const client = servedClient(this.fhir);
    const got = await callSubscriptions(() =>
      client.get({ id: subscriptionId(req) }, subscriptionCallContext(req)),
    );
    sendFhir(res, 200, subscriptionResource(requiredSubscription(got.subscription)));
  }

  @FhirRoute({
    method: 'GET',
    path: 'Subscription',
    resource: 'Subscription',
    platform: 'notifications',
    interaction: 'search-type',
    scope: 'system/Subscription.s',
    searchParams: SEARCH_PARAMS,
    summary: 'The caller’s subscriptions (one page, at most 500)',
  })
  async search(@Req() req: Request, @Res() res: Response): Promise<void> {
    const client = servedClient(this.fhir);
    const search = searchOf(req);
    const listed = await callSubscriptions(() =>
      client.list(
        { topic: search.one('criteria') ?? '', status: search.one('status') ?? '' },
        subscriptionCallContext(req),
      ),
    );
    const all = listed.subscriptions.map(subscriptionResource);
    const page = search.count === 0 ? [] : all.slice(0, search.count);
    sendFhir(
      res,
      200,
      bundle(
        'searchset',
        [
          ...page.map((resource) => ({
            fullUrl: `${this.base()}/Subscription/${String(resource.id)}`,
            resource,
            search: { mode: 'match' as const },
          })),
          ...droppedOutcome(search),
        ],
        { self: search.link(`${this.base()}/Subscription`) },
        search.wantTotal ? all.length : undefined,
      ),
    );
  }

  @FhirRoute({
    method: 'DELETE',
    path: 'Subscription/:id',
    resource: 'Subscription',
    platform: 'notifications',
    interaction: 'delete',
    scope: 'system/Subscription.d',
    summary: 'End one of the caller’s subscriptions (nothing more is recorded or delivered)',
  })
  async remove(@Req() req: Request, @Res() res: Response): Promise<void> {
    const client = servedClient(this.fhir);
    await callSubscriptions(() =>
      client.delete({ id: subscriptionId(req) }, subscriptionCallContext(req)),
    );
    res.status(204).end();
  }

  @ServeOperation(SUBSCRIPTION_STATUS)
  status(@Req() req: Request, @Res() res: Response): Promise<void> {
    return subscriptionStatus(this.fhir, req, res);
  }

  @ServeOperation(SUBSCRIPTION_EVENTS)
  events(@Req() req: Request, @Res() res: Response): Promise<void> {
    return subscriptionEvents(this.fhir, req, res);
  }

  /** What the routes and the operations' handlers share (the client, the public URL). */
  private get fhir(): SubscriptionsFhirContext {
    return { client: this.client, publicUrl: this.config.publicUrl };
  }

  private base(): string {
    return subscriptionsBase(this.fhir);
  }
}
