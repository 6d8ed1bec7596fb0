// Per-request context (correlation id, gRPC method / HTTP route) carried through async code.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  correlationId: string;
  /** "/trellis.identity.v1.PatientService/GetPatient" or "GET /health/ready". */
  operation?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const CORRELATION_HEADER = 'x-correlation-id';

export function runWithRequestContext<R>(ctx: RequestContext, fn: () => R): R {
  return storage.run(ctx, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** Accepts a caller-supplied id if it is sane (1-128 visible chars), else makes a new uuid. */
export function correlationIdFrom(value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v === 'string' && /^[\x21-\x7e]{1,128}$/.test(v)) return v;
  if (Buffer.isBuffer(v)) return correlationIdFrom(v.toString('utf8'));
  return randomUUID();
}
