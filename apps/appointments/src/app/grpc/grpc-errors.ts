import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { AppointmentsError, type ErrorKind } from '../domain/appointments.errors';

const STATUS: Record<ErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  'permission-denied': status.PERMISSION_DENIED,
  'already-exists': status.ALREADY_EXISTS,
  aborted: status.ABORTED,
  'failed-precondition': status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
};

export function grpcStatusOf(err: AppointmentsError): status {
  return STATUS[err.kind];
}

/**
 * AppointmentsError → gRPC error: status from the code's kind, message as-is, and machine-readable
 * trailers: `x-error-code` (the domain code), `x-error-<key>` for each metadata entry (slot id,
 * current state, ...), `x-field-violations` (JSON list of {field, rule, message}).
 */
export function toRpcException(err: AppointmentsError): RpcException {
  const md = new Metadata();
  md.set('x-error-code', err.code);
  for (const [k, v] of Object.entries(err.metadata)) md.set(`x-error-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, v);
  if (err.violations.length > 0) md.set('x-field-violations', JSON.stringify(err.violations));
  return new RpcException({ code: grpcStatusOf(err), message: `${err.code}: ${err.message}`, metadata: md });
}

/** Runs a handler, translating domain errors; anything else propagates to the global filter. */
export async function rpc<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppointmentsError) throw toRpcException(e);
    throw e;
  }
}
