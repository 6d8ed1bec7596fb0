import type { Context } from '@opentelemetry/api';
import { currentTraceHeaders, extractTraceContext as extract } from '@trellis/telemetry';

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

/** The OpenTelemetry context carried by an event's headers (parent of the consumer's span). */
export function extractTraceContext(headers: Readonly<Record<string, string>>): Context {
  return extract({ ...headers });
}
