// Typed gRPC clients over the ts-proto generated service definitions (`XServiceDefinition`) with
// nice-grpc: one channel per peer, reused by every call; one middleware forwards the caller's
// context, sets the deadline and decodes the rich error (google.rpc.Status in the trailers).
import {
  ChannelCredentials,
  ClientError,
  createChannel,
  createClientFactory,
  Metadata,
  Status,
  type CallOptions,
  type Channel,
  type Client,
  type ClientMiddleware,
  type ClientMiddlewareCall,
  type CompatServiceDefinition,
} from 'nice-grpc';

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

export type TypedClient<D extends CompatServiceDefinition> = Client<D, ForwardCallOptions>;

/** A unary method of a typed client, as controllers pass it around. */
export type TypedUnaryMethod<Req, Res> = (
  request: Req,
  options?: CallOptions & ForwardCallOptions,
) => Promise<Res>;

export const USER_HEADER = 'x-trellis-user';

export interface ForwardingOptions {
  /** Deadline of a call that sets none (milliseconds from the call's start). */
  deadlineMs: number;
  /** Adds this service's own credentials (e.g. its service token) to every call. */
  outgoing?: (metadata: Metadata) => void;
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

/** The outgoing metadata of a forwarded call. */
export function forwardedMetadata(forward: ForwardContext | undefined, base?: Metadata): Metadata {
  const md = Metadata(base);
  if (!forward) return md;
  if (forward.authorization) md.set('authorization', forward.authorization);
  if (forward.traceparent) md.set('traceparent', forward.traceparent);
  if (forward.tracestate) md.set('tracestate', forward.tracestate);
  if (forward.correlationId) md.set(CORRELATION_HEADER, forward.correlationId);
  if (forward.userId) md.set(USER_HEADER, forward.userId);
  for (const [key, value] of Object.entries(forward.headers ?? {})) md.set(key, value);
  return md;
}

/** The method name of a call path ("/trellis.identity.v1.PatientService/GetPatient" → "GetPatient"). */
function methodName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The one client middleware: forwarded metadata, the deadline (an abort after `deadlineMs`, answered
 * as DEADLINE_EXCEEDED) and the rich error decoded from the trailers.
 */
export function forwardingMiddleware(
  options: ForwardingOptions,
): ClientMiddleware<ForwardCallOptions> {
  const toError =
    options.toError ?? ((decoded, method) => new GrpcCallError(method, decoded) as Error);
  return async function* forwarding<Req, Res>(
    call: ClientMiddlewareCall<Req, Res>,
    callOptions: CallOptions & Partial<ForwardCallOptions>,
  ): AsyncGenerator<Res, Res | void, undefined> {
    const { forward, deadlineMs, ...rest } = callOptions;
    const method = methodName(call.method.path);
    const metadata = forwardedMetadata(forward, rest.metadata);
    if (options.peer && forward?.peerHeaders)
      for (const [key, value] of Object.entries(forward.peerHeaders(options.peer)))
        metadata.set(key, value);
    options.outgoing?.(metadata);
    const deadline = new AbortController();
    const ms = deadlineMs ?? options.deadlineMs;
    const timer = setTimeout(() => deadline.abort(), ms);
    const outer = rest.signal;
    const onOuterAbort = (): void => deadline.abort();
    outer?.addEventListener('abort', onOuterAbort);
    let trailer: Metadata | undefined;
    try {
      if (call.responseStream || call.requestStream) {
        throw new Error(`${method}: only unary calls go through the forwarding middleware`);
      }
      return yield* call.next(call.request, {
        ...rest,
        metadata,
        signal: deadline.signal,
        onTrailer: (t) => {
          trailer = t;
          rest.onTrailer?.(t);
        },
      });
    } catch (err) {
      if (err instanceof ClientError) {
        throw toError(
          decodeGrpcError({
            code: err.code,
            details: err.details,
            metadata: trailer && { get: (key: string) => trailer?.getAll(key) ?? [] },
          }),
          method,
        );
      }
      if (deadline.signal.aborted && !outer?.aborted) {
        throw toError(
          {
            code: Status.DEADLINE_EXCEEDED,
            message: `Deadline exceeded after ${ms} ms`,
            fieldViolations: [],
          },
          method,
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  };
}

/** A plaintext channel to a peer (keepalive as the services' own clients). */
export function grpcChannel(address: string): Channel {
  return createChannel(address, ChannelCredentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
  });
}

/** A typed client of `definition` over `channel`, through the forwarding middleware. */
export function typedClient<D extends CompatServiceDefinition>(
  definition: D,
  channel: Channel,
  options: ForwardingOptions,
): TypedClient<D> {
  return createClientFactory().use(forwardingMiddleware(options)).create(definition, channel);
}
