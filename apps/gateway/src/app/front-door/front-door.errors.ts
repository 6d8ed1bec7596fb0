import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { google } from '@trellis/contracts';
import { httpStatusOfGrpcCode, STATUS_DETAILS_KEY } from '@trellis/service-kit';

const TYPE_PREFIX = 'type.googleapis.com/';

/** protobuf varint (non-negative integers below 2^53). */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** google.rpc.RetryInfo { retry_delay: Duration { seconds } } (no generated type in contracts). */
function retryInfo(seconds: number): Uint8Array {
  const duration = [0x08, ...varint(seconds)];
  return Uint8Array.from([0x0a, ...varint(duration.length), ...duration]);
}

/** RESOURCE_EXHAUSTED with google.rpc.RetryInfo and a `retry-after` trailer (seconds). */
export function rateLimited(retryAfterSeconds: number): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set('retry-after', String(retryAfterSeconds));
  const message = `rate limit exceeded: retry after ${retryAfterSeconds}s`;
  metadata.set(
    STATUS_DETAILS_KEY,
    Buffer.from(
      google.rpc.Status.encode({
        code: status.RESOURCE_EXHAUSTED,
        message,
        details: [
          { typeUrl: `${TYPE_PREFIX}google.rpc.RetryInfo`, value: retryInfo(retryAfterSeconds) },
        ],
      }).finish(),
    ),
  );
  return { code: status.RESOURCE_EXHAUSTED, details: message, metadata };
}

/** A platform's error passed on unchanged: code, message and trailers (rich details included). */
export function passedOn(err: ServiceError): Partial<StatusObject> {
  return { code: err.code, details: err.details, metadata: err.metadata };
}

/** gRPC status → the HTTP status REST would have answered (conformance records carry it). */
export function httpStatusOfGrpc(code: number): number {
  return httpStatusOfGrpcCode(code);
}
