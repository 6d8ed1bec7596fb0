// The unary methods of a typed client called on grpc-js directly (typedClient's `direct` option):
// the same call as the forwarding middleware makes through nice-grpc, without nice-grpc's per-call
// machinery — two async generators, its own Metadata (validated, then copied into grpc-js's), an
// AbortController and the trailer copy — which the gateway's read profile showed at ≈ 3 % of its
// CPU (issue 23). grpc-js's `Client.prototype.makeUnaryRequest` is what OpenTelemetry's grpc
// instrumentation wraps, so the client spans stay.
import { ChannelCredentials, makeClientConstructor, Metadata } from '@grpc/grpc-js';
import type { Channel } from 'nice-grpc';

import {
  callDeadlineMs,
  callErrorOf,
  deadlineExceeded,
  failedStatus,
  outgoingMetadata,
  type ForwardContext,
  type ForwardingOptions,
} from './forwarding';

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
  forward: ForwardContext | undefined,
  deadlineMs: number | undefined,
) => Promise<unknown>;

/**
 * The unary methods of a generated service definition (keyed as the typed client's) on grpc-js,
 * answering exactly as the forwarding middleware answers the same call: the metadata of
 * `outgoingMetadata`, the same request bytes (`fromPartial` + `encode`), the deadline as a cancel
 * after `deadlineMs` (`deadlineExceeded`) and a status decoded from its trailers (`failedStatus`);
 * anything that is not a call status is rethrown, and a header gRPC cannot carry rejects the call
 * unsent. Streaming methods, and a definition of another shape, are not included.
 */
export function directUnaryMethods(
  definition: unknown,
  channel: Channel,
  options: ForwardingOptions,
): Map<string, DirectUnaryCall> {
  const methods = new Map<string, DirectUnaryCall>();
  if (!isGeneratedService(definition)) return methods;
  const toError = callErrorOf(options);
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
      const ms = callDeadlineMs(deadlineMs, options);
      return new Promise<unknown>((resolve, reject) => {
        // a header grpc-js refuses throws here and rejects the call, as it does in the middleware
        const metadata = outgoingMetadata(new Metadata(), forward, options);
        let done = false;
        const call = { cancel: (): void => undefined };
        const timer = setTimeout(() => {
          if (done) return;
          done = true;
          call.cancel();
          reject(toError(deadlineExceeded(ms), method.name));
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
              else if (isStatusError(err))
                reject(toError(failedStatus(err.code, err.details, err.metadata), method.name));
              else reject(err);
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
