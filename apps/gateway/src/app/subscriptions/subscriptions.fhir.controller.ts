import { randomUUID } from 'node:crypto';

import type { Resource } from '@medplum/fhirtypes';
import { Controller, Inject, Optional, Req, Res, UseFilters } from '@nestjs/common';
import { callerOf } from '@trellis/auth';
import { fromTimestamp, type notifications } from '@trellis/contracts';
import {
  FhirError,
  fhirErrorFromPlatform,
  notificationBundle,
  PAYLOAD_CONTENTS,
  subscriptionStatusParameters,
  validateFhirResource,
  type PayloadContent,
  type SubscriptionStatusView,
} from '@trellis/fhir';
import type { Request, Response } from 'express';

import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { ConformanceRecorder } from '../fhir/conformance';
import { FhirExceptionFilter, forwardContext, sendFhir } from '../fhir/fhir.http';
import { FHIR_PREFIX, FhirRoute } from '../fhir/fhir.registry';
import { droppedOutcome, searchOf, type FhirSearchParam } from '../fhir/fhir.search';
import { bundle } from '../fhir/fhir.support';
import {
  type BackportSubscription,
  createRequestOf,
  subscriptionFieldPath,
  subscriptionResource,
} from './subscription-mapping';
import {
  SUBSCRIPTIONS_CLIENT,
  SubscriptionCallError,
  type SubscriptionCallContext,
  type SubscriptionsClient,
} from './subscriptions.client';
import { SUBSCRIPTION_STATUS } from '../fhir/operations/subscription-status';
import { ServeOperation } from '../fhir/operations/fhir-operation';
import { SUBSCRIPTION_EVENTS } from '../fhir/operations/subscription-events';

const SEARCH_PARAMS: FhirSearchParam[] = [
  { name: 'status', type: 'token', documentation: 'requested | active | error | off' },
  { name: 'criteria', type: 'uri', documentation: 'The SubscriptionTopic canonical URL' },
];

const ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Topic-based subscriptions (FHIR Subscriptions R5 Backport IG on R4) at the FHIR facade: create,
 * read, search and delete a system's own Subscriptions, `$status` and `$events` (its notification
 * stream by event number), all through the notifications service with the caller's token (the
 * service decides which topics the caller may subscribe to and owns the streams).
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
    const client = this.served();
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
    const created = await this.call(() =>
      client.create(createRequestOf(body as BackportSubscription), this.ctx(req)),
    );
    const resource = subscriptionResource(this.required(created.subscription));
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
    const client = this.served();
    const got = await this.call(() => client.get({ id: this.id(req) }, this.ctx(req)));
    sendFhir(res, 200, subscriptionResource(this.required(got.subscription)));
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
    const client = this.served();
    const search = searchOf(req);
    const listed = await this.call(() =>
      client.list(
        { topic: search.one('criteria') ?? '', status: search.one('status') ?? '' },
        this.ctx(req),
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
    const client = this.served();
    await this.call(() => client.delete({ id: this.id(req) }, this.ctx(req)));
    res.status(204).end();
  }

  @ServeOperation(SUBSCRIPTION_STATUS)
  async status(@Req() req: Request, @Res() res: Response): Promise<void> {
    const client = this.served();
    const got = await this.call(() => client.get({ id: this.id(req) }, this.ctx(req)));
    const s = this.required(got.subscription);
    const parameters = subscriptionStatusParameters(
      statusView(s),
      'query-status',
      [],
      'empty',
      this.base(),
    );
    sendFhir(
      res,
      200,
      bundle('searchset', [{ resource: parameters, search: { mode: 'match' } }], {
        self: `${this.base()}/Subscription/${s.id}/$status`,
      }),
    );
  }

  @ServeOperation(SUBSCRIPTION_EVENTS)
  async events(@Req() req: Request, @Res() res: Response): Promise<void> {
    const client = this.served();
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
    const got = await this.call(() =>
      client.events(
        { id: this.id(req), sinceNumber: since, untilNumber: until, content: content ?? '' },
        this.ctx(req),
      ),
    );
    const s = this.required(got.subscription);
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
        this.base(),
      ),
    );
  }

  private base(): string {
    return `${this.config.publicUrl}/${FHIR_PREFIX}`;
  }

  private served(): SubscriptionsClient {
    if (!this.client)
      throw FhirError.of(
        404,
        'not-supported',
        'fhir.not-supported',
        'Subscription is not served by this gateway',
      );
    return this.client;
  }

  private id(req: Request): string {
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

  private ctx(req: Request): SubscriptionCallContext {
    const c = forwardContext(req);
    return {
      ...(c.authorization ? { authorization: c.authorization } : {}),
      ...(c.traceparent ? { traceparent: c.traceparent } : {}),
      ...(c.correlationId ? { correlationId: c.correlationId } : {}),
      ...(c.vouch ? { vouch: c.vouch } : {}),
    };
  }

  private required(s: notifications.v1.Subscription | undefined): notifications.v1.Subscription {
    if (!s)
      throw FhirError.of(502, 'exception', 'platform.bad-response', 'no subscription returned');
    return s;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof SubscriptionCallError)
        throw fhirErrorFromPlatform(err.decoded, 'Subscription', subscriptionFieldPath);
      throw err;
    }
  }
}

function isPayloadContent(v: unknown): v is PayloadContent {
  return typeof v === 'string' && (PAYLOAD_CONTENTS as readonly string[]).includes(v);
}

function statusView(s: notifications.v1.Subscription): SubscriptionStatusView {
  return {
    id: s.id,
    topicUrl: s.topic,
    status: s.status,
    eventsSinceSubscriptionStart: String(s.eventsSinceSubscriptionStart),
    ...(s.lastError ? { error: s.lastError } : {}),
  };
}
