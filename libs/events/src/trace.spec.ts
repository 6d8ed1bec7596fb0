import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { extractTraceContext, injectTraceHeaders, ORIGIN_TRACEPARENT_HEADER } from './trace';

const origin = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const relaySpan = '00-11111111111111111111111111111111-2222222222222222-01';

describe('trace context in event headers', () => {
  beforeAll(() => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    propagation.disable();
    context.disable();
  });

  it('injects nothing without an active span', () => {
    expect(injectTraceHeaders()).toEqual({});
  });

  it('injects the active span', () => {
    const ctx = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    expect(context.with(ctx, () => injectTraceHeaders())).toEqual({ traceparent: origin });
  });

  it('prefers the origin copy over a traceparent rewritten by kafkajs instrumentation', () => {
    const parent = trace.getSpanContext(
      extractTraceContext({ traceparent: relaySpan, [ORIGIN_TRACEPARENT_HEADER]: origin }),
    );
    expect(parent?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(trace.getSpanContext(extractTraceContext({ traceparent: relaySpan }))?.traceId).toBe(
      '11111111111111111111111111111111',
    );
  });

  it("uses the relay's publish span when it continues the origin's trace", () => {
    const publish = '00-4bf92f3577b34da6a3ce929d0e0e4736-3333333333333333-01';
    const parent = trace.getSpanContext(
      extractTraceContext({ traceparent: publish, [ORIGIN_TRACEPARENT_HEADER]: origin }),
    );
    expect(parent?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parent?.spanId).toBe('3333333333333333');
  });
});
