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
import {
  CompositePropagator,
  suppressTracing,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import type { TextMapPropagator } from '@opentelemetry/api';

/** A Kafka header value as clients deliver it (Buffer or string, possibly repeated). */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type KafkaHeaders = Record<string, HeaderValue>;

export type TraceHeaders = {
  traceparent?: string;
  tracestate?: string;
};

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

/**
 * The trace id of a W3C `traceparent` header value (undefined when malformed or all zeros).
 */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const m = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent?.trim() ?? '');
  return m && !/^0+$/.test(m[1]!) ? m[1] : undefined;
}

/**
 * Runs `fn` with tracing suppressed: auto-instrumentations (pg, grpc, ...) create no spans and
 * inject no trace headers inside it. For code that creates the right spans itself, e.g. the outbox
 * relay, whose per-message publish spans continue each event's stored trace (a batch send made
 * from the relay's loop would otherwise start one unrelated root trace per message).
 */
export function withTracingSuppressed<R>(fn: () => R): R {
  return context.with(suppressTracing(context.active()), fn);
}

/**
 * W3C trace-context propagator that never overwrites a `traceparent` already present in a plain
 * object carrier. Why: the outbox stores the traceparent of the request that wrote the event; when
 * the relay later sends it, the kafkajs instrumentation injects the relay's own context into the
 * message headers. Keeping the stored one makes the consumer continue the originating request's
 * trace (gateway -> gRPC -> outbox -> Kafka -> consumer), which is the trace operators follow.
 * Carriers without a traceparent (gRPC metadata, HTTP requests) behave exactly as usual.
 */
export class PreservingTraceContextPropagator implements TextMapPropagator {
  private readonly inner = new W3CTraceContextPropagator();
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    if (typeof carrier === 'object' && carrier !== null && !Array.isArray(carrier)) {
      const existing = (carrier as Record<string, unknown>)['traceparent'];
      if (existing !== undefined && existing !== null && String(existing).length > 0) return;
    }
    this.inner.inject(ctx, carrier, setter);
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.inner.extract(ctx, carrier, getter);
  }
  fields(): string[] {
    return this.inner.fields();
  }
}

/** The propagator startTelemetry registers: preserving W3C trace context + W3C baggage. */
export function trellisPropagator(): TextMapPropagator {
  return new CompositePropagator({
    propagators: [new PreservingTraceContextPropagator(), new W3CBaggagePropagator()],
  });
}
