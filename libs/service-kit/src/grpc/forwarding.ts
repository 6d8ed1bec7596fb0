// What a typed client's call carries and how it fails, shared by its two paths: the forwarding
// middleware (nice-grpc) and the direct unary calls (grpc-js, direct-unary.ts). The metadata, the
// deadline and the error decoding are written once, here.
import { Metadata, Status } from 'nice-grpc';

import { decodeGrpcError, type DecodedGrpcError } from '../errors';
import { CORRELATION_HEADER } from '../request-context';

/** What a call forwards from the request it serves (the caller's token and trace context). */
export interface ForwardContext {
  authorization?: string;
  traceparent?: string;
  tracestate?: string;
  correlationId?: string;
  userId?: string;
  /** Further metadata the peer reads (e.g. the door a request came through). */
  headers?: Readonly<Record<string, string>>;
  /** Metadata bound to the peer called (e.g. the gateway's vouch, addressed to one service). */
  peerHeaders?: (peer: string) => Readonly<Record<string, string>>;
}

/** Per-call options of a typed client: what to forward, and a deadline other than the default. */
export interface ForwardCallOptions {
  forward?: ForwardContext;
  deadlineMs?: number;
}

export const USER_HEADER = 'x-trellis-user';

/** The one thing both paths' metadata (nice-grpc's and grpc-js's) are asked to do. */
export interface MetadataSetter {
  set(key: string, value: string): void;
}

export interface ForwardingOptions {
  /** Deadline of a call that sets none (milliseconds from the call's start). */
  deadlineMs: number;
  /** Adds this service's own credentials (e.g. its service token) to every call. */
  outgoing?: (metadata: MetadataSetter) => void;
  /** The service this client calls (its name, e.g. "referrals"): passed to `peerHeaders`. */
  peer?: string;
  /** The error a failed call rejects with (default: GrpcCallError). */
  toError?: (decoded: DecodedGrpcError, method: string) => Error;
}

/** A failed call: the decoded rich error (or a transport failure / deadline). */
export class GrpcCallError extends Error {
  constructor(
    readonly method: string,
    readonly decoded: DecodedGrpcError,
  ) {
    super(`${method}: ${decoded.message}`);
    this.name = 'GrpcCallError';
  }
}

function writeForwarded<M extends MetadataSetter>(md: M, forward: ForwardContext | undefined): M {
  if (!forward) return md;
  if (forward.authorization) md.set('authorization', forward.authorization);
  if (forward.traceparent) md.set('traceparent', forward.traceparent);
  if (forward.tracestate) md.set('tracestate', forward.tracestate);
  if (forward.correlationId) md.set(CORRELATION_HEADER, forward.correlationId);
  if (forward.userId) md.set(USER_HEADER, forward.userId);
  for (const [key, value] of Object.entries(forward.headers ?? {})) md.set(key, value);
  return md;
}

/** The outgoing metadata of a forwarded call. */
export function forwardedMetadata(forward: ForwardContext | undefined, base?: Metadata): Metadata {
  return writeForwarded(Metadata(base), forward);
}

/**
 * Everything a typed client's call sends, in this order: the forwarded context, the headers bound
 * to the peer called, this service's own credentials. A header gRPC cannot carry throws (grpc-js).
 */
export function outgoingMetadata<M extends MetadataSetter>(
  md: M,
  forward: ForwardContext | undefined,
  options: ForwardingOptions,
): M {
  writeForwarded(md, forward);
  if (options.peer && forward?.peerHeaders)
    for (const [key, value] of Object.entries(forward.peerHeaders(options.peer)))
      md.set(key, value);
  options.outgoing?.(md);
  return md;
}

/** The deadline of a call: its own, or the client's default. */
export function callDeadlineMs(deadlineMs: number | undefined, options: ForwardingOptions): number {
  return deadlineMs ?? options.deadlineMs;
}

/** A call cancelled at its deadline. */
export function deadlineExceeded(ms: number): DecodedGrpcError {
  return {
    code: Status.DEADLINE_EXCEEDED,
    message: `Deadline exceeded after ${ms} ms`,
    fieldViolations: [],
  };
}

/** A call that ended with a status: the rich error decoded from its trailers. */
export function failedStatus(
  code: number,
  details: string,
  trailers: { get(key: string): Array<string | Uint8Array> } | undefined,
): DecodedGrpcError {
  return decodeGrpcError({ code, details, metadata: trailers });
}

/** The error a failed call rejects with. */
export function callErrorOf(
  options: ForwardingOptions,
): (decoded: DecodedGrpcError, method: string) => Error {
  return options.toError ?? ((decoded, method) => new GrpcCallError(method, decoded));
}
