// W3C trace context in Kafka headers (and any string-keyed carrier): inject at enqueue/publish,
// extract in consumers so one trace spans gRPC -> outbox -> Kafka -> consumer.
import {
  context,
  propagation,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** kafkajs IHeaders value shape. */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type KafkaHeaders = Record<string, HeaderValue>;

export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

// Always W3C, whatever global propagator is registered (the ce/Kafka contract names traceparent).
const w3c = new W3CTraceContextPropagator();

const getter: TextMapGetter<KafkaHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key] ?? carrier[key.toLowerCase()];
    if (value === undefined) return undefined;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** `traceparent`/`tracestate` of the given (default: active) context; empty when there is no valid span. */
export function currentTraceHeaders(ctx: Context = context.active()): TraceHeaders {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, setter);
  return carrier;
}

/** Adds traceparent/tracestate of the active context to a copy of `headers` (Kafka message headers). */
export function injectTraceHeaders<T extends Record<string, HeaderValue>>(
  headers: T,
  ctx: Context = context.active(),
): T & TraceHeaders {
  return { ...headers, ...currentTraceHeaders(ctx) };
}

/** Context carrying the remote span found in the headers (or the given base context when none). */
export function extractTraceContext(
  headers: KafkaHeaders,
  base: Context = context.active(),
): Context {
  return w3c.extract(base, headers, getter);
}

/** Runs `fn` with the trace context extracted from the headers active. */
export function withTraceContext<R>(headers: KafkaHeaders, fn: () => R): R {
  return context.with(extractTraceContext(headers), fn);
}

/** trace_id/span_id of the active span, for log correlation. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active());
  const sc = span?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId };
}

export { propagation };
