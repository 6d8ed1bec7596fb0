import { ChannelCredentials, makeClientConstructor, Metadata, status } from '@grpc/grpc-js';
import {
  CORRELATION_HEADER,
  decodeGrpcError,
  USER_HEADER,
  type DecodedGrpcError,
  type ForwardContext,
} from '@trellis/service-kit';
import type { Channel } from 'nice-grpc';

/** What a generated (ts-proto) message type offers; nice-grpc reads the same three functions. */
interface MessageType {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  fromPartial?(object: unknown): unknown;
}
interface GeneratedMethod {
  name: string;
  requestType: MessageType;
  responseType: MessageType;
  requestStream: boolean;
  responseStream: boolean;
}
interface GeneratedService {
  fullName: string;
  methods: Record<string, GeneratedMethod>;
}

/** One unary method, called with what the forwarding middleware would send. */
export type DirectUnaryCall = (
  request: unknown,
  forward: ForwardContext,
  deadlineMs: number | undefined,
) => Promise<unknown>;

export interface DirectUnaryOptions {
  /** Deadline of a call that sets none (ms from the call's start). */
  deadlineMs: number;
  /** The service called, passed to the forward context's `peerHeaders`. */
  peer: string;
  /** Adds the gateway's own credentials (its service token); the same function the middleware gets. */
  outgoing: (metadata: { set(key: string, value: string): void }) => void;
  /** The error a failed call rejects with. */
  toError: (decoded: DecodedGrpcError, method: string) => Error;
}

/**
 * The unary methods of a generated service definition called on grpc-js directly, answering
 * exactly as `typedClient` (nice-grpc through service-kit's forwarding middleware) answers the same
 * call: the same metadata in the same order (forwarded context, the peer's headers, the service
 * token), the same request bytes, the same deadline (the call cancelled after `deadlineMs`,
 * rejected as DEADLINE_EXCEEDED "Deadline exceeded after N ms") and the same rich error decoded
 * from the status trailers. What it leaves out is nice-grpc's per-call machinery — two async
 * generators, its own Metadata (validated, then copied into grpc-js's), an AbortController and
 * the trailer copy — which the gateway's read profile showed at ≈ 3 % of its CPU (issue 23).
 * Streaming methods, and a definition of another shape, are not included.
 */
export function directUnaryMethods(
  definition: unknown,
  channel: Channel,
  options: DirectUnaryOptions,
): Map<string, DirectUnaryCall> {
  const methods = new Map<string, DirectUnaryCall>();
  if (!isGeneratedService(definition)) return methods;
  const Client = makeClientConstructor({}, '');
  const client = new Client('', ChannelCredentials.createInsecure(), { channelOverride: channel });
  for (const [key, method] of Object.entries(definition.methods)) {
    if (method.requestStream || method.responseStream) continue;
    const path = `/${definition.fullName}/${method.name}`;
    const { requestType, responseType } = method;
    const fromPartial = requestType.fromPartial?.bind(requestType);
    const serialize = (value: unknown): Buffer =>
      Buffer.from(requestType.encode(fromPartial ? fromPartial(value) : value).finish());
    const deserialize = (bytes: Buffer): unknown => responseType.decode(bytes);
    methods.set(key, (request, forward, deadlineMs) => {
      const ms = deadlineMs ?? options.deadlineMs;
      return new Promise<unknown>((resolve, reject) => {
        // a header grpc-js refuses rejects the call, as it does in the middleware
        const metadata = outgoingMetadata(forward, options);
        let done = false;
        const call = { cancel: (): void => undefined };
        const timer = setTimeout(() => {
          if (done) return;
          done = true;
          call.cancel();
          reject(
            options.toError(
              {
                code: status.DEADLINE_EXCEEDED,
                message: `Deadline exceeded after ${ms} ms`,
                fieldViolations: [],
              },
              method.name,
            ),
          );
        }, ms);
        try {
          const started = client.makeUnaryRequest(
            path,
            serialize,
            deserialize,
            request,
            metadata,
            (err, response) => {
              if (done) return;
              done = true;
              clearTimeout(timer);
              if (!err) resolve(response);
              else reject(isStatusError(err) ? options.toError(decoded(err), method.name) : err);
            },
          );
          call.cancel = () => started.cancel();
        } catch (err) {
          done = true;
          clearTimeout(timer);
          reject(err);
        }
      });
    });
  }
  return methods;
}

/** The metadata service-kit's `forwardedMetadata`, `peerHeaders` and `outgoing` build, in order. */
function outgoingMetadata(forward: ForwardContext, options: DirectUnaryOptions): Metadata {
  const md = new Metadata();
  if (forward.authorization) md.set('authorization', forward.authorization);
  if (forward.traceparent) md.set('traceparent', forward.traceparent);
  if (forward.tracestate) md.set('tracestate', forward.tracestate);
  if (forward.correlationId) md.set(CORRELATION_HEADER, forward.correlationId);
  if (forward.userId) md.set(USER_HEADER, forward.userId);
  if (forward.headers)
    for (const [key, value] of Object.entries(forward.headers)) md.set(key, value);
  if (forward.peerHeaders)
    for (const [key, value] of Object.entries(forward.peerHeaders(options.peer)))
      md.set(key, value);
  options.outgoing(md);
  return md;
}

interface StatusError {
  code: number;
  details: string;
  metadata: Metadata;
}

/** A call's final status (what nice-grpc turns into a ClientError); anything else is rethrown. */
function isStatusError(err: unknown): err is StatusError {
  const e = err as Partial<StatusError> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.code === 'number' &&
    typeof e.details === 'string' &&
    e.metadata instanceof Metadata
  );
}

function decoded(err: StatusError): DecodedGrpcError {
  return decodeGrpcError({ code: err.code, details: err.details, metadata: err.metadata });
}

function isGeneratedService(definition: unknown): definition is GeneratedService {
  const d = definition as Partial<GeneratedService> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.fullName === 'string' &&
    typeof d.methods === 'object' &&
    d.methods !== null
  );
}
