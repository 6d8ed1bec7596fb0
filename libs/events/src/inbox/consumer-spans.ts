import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { startRequestTimer } from '@trellis/telemetry';
import type { ReceivedEvent } from '../cloudevents';
import { errorMessage } from '../errors';
import { extractTraceContext } from '../trace';

const tracer = trace.getTracer('@trellis/events');

/** The OpenTelemetry messaging attributes of one consumed event. */
export function consumerSpanAttributes(
  event: ReceivedEvent,
  groupId: string,
): Record<string, string | number> {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': event.topic,
    'messaging.destination.partition.id': String(event.partition),
    'messaging.kafka.offset': Number(event.offset),
    'messaging.message.id': event.id,
    'messaging.consumer.group.name': groupId,
    'cloudevents.event_type': event.type,
  };
}

/**
 * Runs `fn` in an active CONSUMER span `process <topic>` under `parent` (RED metrics included):
 * a failure is recorded on the span and rethrown.
 */
export function inConsumerSpan<R>(
  topic: string,
  attributes: Record<string, string | number>,
  parent: Context,
  fn: (span: Span) => Promise<R>,
): Promise<R> {
  return tracer.startActiveSpan(
    `process ${topic}`,
    { kind: SpanKind.CONSUMER, attributes },
    parent,
    async (span) => {
      const end = startRequestTimer('kafka', topic);
      try {
        const result = await fn(span);
        end({ code: 'ok' });
        return result;
      } catch (error) {
        end({ code: 'error' });
        span.recordException(error instanceof Error ? error : new Error(String(error)));
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** A batch handler call in one consumer span (per-event spans would cost more than the work). */
export function withBatchSpan<R>(
  events: readonly ReceivedEvent[],
  groupId: string,
  fn: () => Promise<R>,
): Promise<R> {
  const first = events[0]!;
  return inConsumerSpan(
    first.topic,
    { ...consumerSpanAttributes(first, groupId), 'messaging.batch.message_count': events.length },
    context.active(),
    () => fn(),
  );
}

/** The handler of one event of a batch transaction, in its own consumer span (+ RED metrics). */
export function withEventSpan<R>(
  event: ReceivedEvent,
  groupId: string,
  fn: () => Promise<R>,
): Promise<R> {
  return inConsumerSpan(
    event.topic,
    consumerSpanAttributes(event, groupId),
    extractTraceContext(event.headers),
    () => fn(),
  );
}
