import * as grpc from '@grpc/grpc-js';
import { withServiceToken, type ServiceIdentity } from '@trellis/auth';
import { type notifications } from '@trellis/contracts';
import {
  decodeGrpcError,
  loadProtoPackageDefinition,
  type DecodedGrpcError,
} from '@trellis/platform';

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
}

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: unknown) => void,
) => grpc.ClientUnaryCall;

type Method =
  | 'createSubscription'
  | 'getSubscription'
  | 'listSubscriptions'
  | 'deleteSubscription'
  | 'getSubscriptionEvents';

type Stub = grpc.Client & Record<Method, Unary>;

/** grpc-js client of trellis.notifications.v1.SubscriptionService (one channel, deadline per call). */
export class SubscriptionsClient {
  private readonly stub: Stub;

  constructor(
    address: string,
    private readonly deadlineMs: number,
    private readonly identity?: ServiceIdentity,
  ) {
    const loaded = grpc.loadPackageDefinition(
      loadProtoPackageDefinition(['trellis/notifications/v1/notifications.proto']),
    ) as unknown as {
      trellis: {
        notifications: {
          v1: { SubscriptionService: new (a: string, c: grpc.ChannelCredentials) => Stub };
        };
      };
    };
    this.stub = new loaded.trellis.notifications.v1.SubscriptionService(
      address,
      grpc.credentials.createInsecure(),
    );
  }

  create(
    req: notifications.v1.CreateSubscriptionRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.CreateSubscriptionResponse> {
    return this.call('createSubscription', req, ctx);
  }

  get(
    req: notifications.v1.GetSubscriptionRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.GetSubscriptionResponse> {
    return this.call('getSubscription', req, ctx);
  }

  list(
    req: notifications.v1.ListSubscriptionsRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.ListSubscriptionsResponse> {
    return this.call('listSubscriptions', req, ctx);
  }

  delete(
    req: notifications.v1.DeleteSubscriptionRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.DeleteSubscriptionResponse> {
    return this.call('deleteSubscription', req, ctx);
  }

  events(
    req: notifications.v1.GetSubscriptionEventsRequest,
    ctx: SubscriptionCallContext,
  ): Promise<notifications.v1.GetSubscriptionEventsResponse> {
    return this.call('getSubscriptionEvents', req, ctx);
  }

  close(): void {
    this.stub.close();
  }

  private call<Res>(method: Method, req: unknown, ctx: SubscriptionCallContext): Promise<Res> {
    const md = new grpc.Metadata();
    if (ctx.authorization) md.set('authorization', ctx.authorization);
    if (ctx.traceparent) md.set('traceparent', ctx.traceparent);
    if (ctx.correlationId) md.set('x-correlation-id', ctx.correlationId);
    withServiceToken(md, this.identity);
    return new Promise((resolve, reject) => {
      this.stub[method](req, md, { deadline: Date.now() + this.deadlineMs }, (err, res) => {
        if (err) reject(new SubscriptionCallError(decodeGrpcError(err)));
        else resolve(res as Res);
      });
    });
  }
}
