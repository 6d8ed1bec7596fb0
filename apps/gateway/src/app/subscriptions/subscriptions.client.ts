import {
  VOUCH_HEADER,
  withServiceToken,
  type GatewayVouchSigner,
  type ServiceIdentity,
  type VouchBasis,
} from '@trellis/auth';
import { notifications } from '@trellis/contracts';
import {
  grpcChannel,
  typedClient,
  type DecodedGrpcError,
  type ForwardContext,
  type TypedClient,
} from '@trellis/service-kit';
import { type Channel } from 'nice-grpc';

export const SUBSCRIPTIONS_CLIENT = Symbol('SUBSCRIPTIONS_CLIENT');

/** A failed notifications call: the decoded rich error (or a transport failure). */
export class SubscriptionCallError extends Error {
  constructor(readonly decoded: DecodedGrpcError) {
    super(`notifications: ${decoded.message}`);
    this.name = 'SubscriptionCallError';
  }
}

/** What a call forwards: the caller's token (the service decides what it may see and do). */
export interface SubscriptionCallContext {
  authorization?: string;
  traceparent?: string;
  correlationId?: string;
  /** What the gateway's guard checked: the call carries a vouch minted from it (issue 22). */
  vouch?: VouchBasis;
}

/** Typed client of trellis.notifications.v1.SubscriptionService (one channel, deadline per call). */
export class SubscriptionsClient {
  private readonly channel: Channel;
  private readonly client: TypedClient<notifications.v1.SubscriptionServiceDefinition>;

  constructor(
    address: string,
    deadlineMs: number,
    identity?: ServiceIdentity,
    private readonly vouches?: GatewayVouchSigner,
  ) {
    this.channel = grpcChannel(address);
    this.client = typedClient(notifications.v1.SubscriptionServiceDefinition, this.channel, {
      deadlineMs,
      peer: 'notifications',
      outgoing: (md) => withServiceToken(md, identity),
      toError: (decoded) => new SubscriptionCallError(decoded),
    });
  }

  create(
    req: notifications.v1.CreateSubscriptionRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.CreateSubscriptionResponse> {
    return this.client.createSubscription(req, { forward: this.forward(ctx) });
  }

  get(
    req: notifications.v1.GetSubscriptionRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.GetSubscriptionResponse> {
    return this.client.getSubscription(req, { forward: this.forward(ctx) });
  }

  list(
    req: notifications.v1.ListSubscriptionsRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.ListSubscriptionsResponse> {
    return this.client.listSubscriptions(req, { forward: this.forward(ctx) });
  }

  delete(
    req: notifications.v1.DeleteSubscriptionRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.DeleteSubscriptionResponse> {
    return this.client.deleteSubscription(req, { forward: this.forward(ctx) });
  }

  events(
    req: notifications.v1.GetSubscriptionEventsRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.GetSubscriptionEventsResponse> {
    return this.client.getSubscriptionEvents(req, { forward: this.forward(ctx) });
  }

  close(): void {
    this.channel.close();
  }

  /** notifications serves through its own feed's outage on the gateway's vouch. */
  private forward(ctx: SubscriptionCallContext): ForwardContext {
    const { vouch, ...rest } = ctx;
    const vouches = this.vouches;
    return vouch && vouches
      ? { ...rest, peerHeaders: (peer) => ({ [VOUCH_HEADER]: vouches.mint(peer, vouch) }) }
      : rest;
  }
}
