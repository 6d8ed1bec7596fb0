import type { Context } from '@opentelemetry/api';
import { currentTraceHeaders, extractTraceContext as extract, traceIdOf } from '@trellis/telemetry';

/**
 * W3C trace context of the active span as Kafka headers (traceparent/tracestate); empty when
 * there is no valid span. Captured at enqueue time, so the relay publishes the trace of the
 * request that made the change.
 */
export function injectTraceHeaders(): Record<string, string> {
  const h = currentTraceHeaders();
  const out: Record<string, string> = {};
  if (h.traceparent) out.traceparent = h.traceparent;
  if (h.tracestate) out.tracestate = h.tracestate;
  return out;
}

/**
 * Copy of the enqueuing request's traceparent. kafkajs instrumentation (enabled by
 * @trellis/telemetry) overwrites `traceparent` with the relay's own send span, which would cut
 * the trace at the relay; inbox consumers prefer this copy, so one trace spans
 * request → outbox → Kafka → consumer. Other consumers still see the standard header.
 */
export const ORIGIN_TRACEPARENT_HEADER = 'trellis-origin-traceparent';

/**
 * The OpenTelemetry context carried by an event's headers (parent of the consumer's span): the
 * `traceparent` when it continues the originating request's trace (the relay's publish span),
 * otherwise the stored origin (e.g. a relay whose send span started a new trace overwrote it).
 */
export function extractTraceContext(headers: Readonly<Record<string, string>>): Context {
  const origin = headers[ORIGIN_TRACEPARENT_HEADER];
  const current = headers['traceparent'];
  const sameTrace = origin !== undefined && traceIdOf(current) === traceIdOf(origin);
  return extract(origin && !sameTrace ? { ...headers, traceparent: origin } : { ...headers });
}
