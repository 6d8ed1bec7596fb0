import {
  forwardingMiddleware,
  GrpcCallError,
  type DecodedGrpcError,
  type ForwardCallOptions,
  type ForwardingOptions,
} from '@trellis/service-kit';
import type { TypedTestKit } from '@trellis/testing';

import { withTestServiceIdentity } from './authority';

export interface ForwardedTestKitOptions {
  /** Service identity sent with every call: the local test ring's (default "gateway"); false: none. */
  serviceIdentity?: string | false;
  /** Deadline of each call (default 30 s: the machine running the suites may be slow). */
  deadlineMs?: number;
  /** The error a failed call rejects with (default: TestCallError). */
  toError?: ForwardingOptions['toError'];
}

/** A failed call, with its status code where grpc-js's ServiceError has it (tests match on it). */
export class TestCallError extends GrpcCallError {
  readonly code = this.decoded.code;
}

/**
 * How a test calls a platform as the gateway forwards a local system's call: the services' own
 * client middleware, the caller's bearer token and the gateway's service token.
 */
export function forwardedTestKit(
  options: ForwardedTestKitOptions = {},
): TypedTestKit<ForwardCallOptions, DecodedGrpcError> {
  const service = options.serviceIdentity ?? 'gateway';
  return {
    middleware: forwardingMiddleware({
      deadlineMs: options.deadlineMs ?? 30_000,
      ...(service !== false && { outgoing: (md) => withTestServiceIdentity(md, service) }),
      toError: options.toError ?? ((decoded, method) => new TestCallError(method, decoded)),
    }),
    as: (token, headers) =>
      token || headers
        ? {
            forward: {
              ...(token && { authorization: `Bearer ${token}` }),
              ...(headers && { headers }),
            },
          }
        : {},
    decode: (error) => (error instanceof GrpcCallError ? error.decoded : undefined),
  };
}
