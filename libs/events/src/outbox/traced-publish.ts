import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  currentTraceHeaders,
  extractTraceContext,
  withTracingSuppressed,
} from '@trellis/telemetry';
import { errorMessage } from '../errors';
import type { EventPublisher, OutgoingMessage } from '../port';
import { ORIGIN_TRACEPARENT_HEADER } from '../trace';

const tracer = trace.getTracer('@trellis/events');

/**
 * Publishes messages with one PRODUCER span per traced message, each a child of the traceparent
 * stored with its outbox row (the request that wrote the event), and that span's traceparent in
 * the message headers: the trace continues request → outbox → publish → consumer. The original
 * stays in `trellis-origin-traceparent`. Auto-instrumentation is suppressed for the send itself:
 * called from the relay's loop it would start one unrelated root trace per message. Rows enqueued
 * outside any trace get no span.
 */
export async function publishTraced(
  publisher: EventPublisher,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  const spans: Span[] = [];
  const out = messages.map((m) => {
    const origin = m.headers[ORIGIN_TRACEPARENT_HEADER];
    if (!origin) return m;
    const tracestate = m.headers['tracestate'];
    const parent = extractTraceContext(
      { traceparent: origin, ...(tracestate ? { tracestate } : {}) },
      ROOT_CONTEXT,
    );
    const span = tracer.startSpan(
      `publish ${m.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': m.topic,
          ...(m.headers['ce_id'] ? { 'messaging.message.id': m.headers['ce_id'] } : {}),
          ...(m.key ? { 'messaging.kafka.message.key': m.key } : {}),
          ...(m.headers['ce_type'] ? { 'cloudevents.event_type': m.headers['ce_type'] } : {}),
        },
      },
      parent,
    );
    spans.push(span);
    const { traceparent } = currentTraceHeaders(trace.setSpan(parent, span));
    return traceparent ? { ...m, headers: { ...m.headers, traceparent } } : m;
  });
  try {
    await withTracingSuppressed(() => publisher.publish(out));
  } catch (error) {
    for (const span of spans) {
      span.recordException(error instanceof Error ? error : new Error(String(error)));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    }
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}
