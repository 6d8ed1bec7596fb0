// Typed gRPC clients over the ts-proto generated service definitions (`XServiceDefinition`) with
// nice-grpc: one channel per peer, reused by every call; one middleware forwards the caller's
// context, sets the deadline and decodes the rich error (google.rpc.Status in the trailers), with
// the metadata, deadline and error rules of forwarding.ts, which the direct unary calls
// (direct-unary.ts, the `direct` option) share.
import {
  ChannelCredentials,
  ClientError,
  createChannel,
  createClientFactory,
  Metadata,
  type CallOptions,
  type Channel,
  type Client,
  type ClientMiddleware,
  type ClientMiddlewareCall,
  type CompatServiceDefinition,
} from 'nice-grpc';

import { directUnaryMethods } from './direct-unary';
import {
  callDeadlineMs,
  callErrorOf,
  deadlineExceeded,
  failedStatus,
  outgoingMetadata,
  type ForwardCallOptions,
  type ForwardingOptions,
} from './forwarding';

export type TypedClient<D extends CompatServiceDefinition> = Client<D, ForwardCallOptions>;

/** A unary method of a typed client, as controllers pass it around. */
export type TypedUnaryMethod<Req, Res> = (
  request: Req,
  options?: CallOptions & ForwardCallOptions,
) => Promise<Res>;

export interface TypedClientOptions extends ForwardingOptions {
  /**
   * Unary methods called with no options but `forward` and `deadlineMs` go on grpc-js directly
   * (direct-unary.ts), answering as the middleware does; any other call (streams, `signal`,
   * `metadata`, `onHeader`/`onTrailer`) goes through nice-grpc. A function is read at each call
   * (a bench's interleaved A/B of the two paths).
   */
  direct?: boolean | (() => boolean);
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
  const toError = callErrorOf(options);
  return async function* forwarding<Req, Res>(
    call: ClientMiddlewareCall<Req, Res>,
    callOptions: CallOptions & Partial<ForwardCallOptions>,
  ): AsyncGenerator<Res, Res | void, undefined> {
    const { forward, deadlineMs, ...rest } = callOptions;
    const method = methodName(call.method.path);
    const metadata = outgoingMetadata(Metadata(rest.metadata), forward, options);
    const deadline = new AbortController();
    const ms = callDeadlineMs(deadlineMs, options);
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
        const trailers = trailer && { get: (key: string) => trailer?.getAll(key) ?? [] };
        throw toError(failedStatus(err.code, err.details, trailers), method);
      }
      if (deadline.signal.aborted && !outer?.aborted) throw toError(deadlineExceeded(ms), method);
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
  options: TypedClientOptions,
): TypedClient<D> {
  const { direct, ...forwarding } = options;
  const client = createClientFactory()
    .use(forwardingMiddleware(forwarding))
    .create(definition, channel);
  if (!direct) return client;
  const enabled = typeof direct === 'function' ? direct : () => true;
  const viaMiddleware: Readonly<Record<string, unknown>> = client;
  const methods: Record<string, UnaryMethod> = {};
  for (const [key, call] of directUnaryMethods(definition, channel, forwarding)) {
    const fallback = viaMiddleware[key];
    if (!isUnaryMethod(fallback)) continue;
    methods[key] = (request, callOptions) =>
      enabled() && onlyForwarding(callOptions)
        ? call(request, callOptions?.forward, callOptions?.deadlineMs)
        : fallback(request, callOptions);
  }
  return Object.assign({}, client, methods);
}

type UnaryMethod = TypedUnaryMethod<unknown, unknown>;

function isUnaryMethod(method: unknown): method is UnaryMethod {
  return typeof method === 'function';
}

/** Call options the direct path answers as the middleware does: none but these two. */
function onlyForwarding(callOptions: object | undefined): callOptions is ForwardCallOptions {
  if (callOptions === undefined) return true;
  for (const key of Object.keys(callOptions))
    if (key !== 'forward' && key !== 'deadlineMs') return false;
  return true;
}
