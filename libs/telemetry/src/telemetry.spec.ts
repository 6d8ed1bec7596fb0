import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { recordRequest, startRequestTimer } from './red-metrics';
import { defaultInstrumentations } from './telemetry';
import { startInMemoryTelemetry, type InMemoryTelemetry } from '../testing';
import {
  currentTraceHeaders,
  extractTraceContext,
  injectTraceHeaders,
  withTraceContext,
} from './trace-context';

describe('@trellis/telemetry', () => {
  let t: InMemoryTelemetry;
  beforeAll(() => {
    t = startInMemoryTelemetry({ serviceName: 'telemetry-spec', instrumentations: [] });
  });
  afterAll(() => t.shutdown());
  beforeEach(() => t.reset());

  it('carries the trace across Kafka headers (inject on produce, extract on consume)', () => {
    const tracer = trace.getTracer('spec');
    let headers: Record<string, string | Buffer | undefined> = {};
    let producerTraceId = '';
    let producerSpanId = '';
    tracer.startActiveSpan('produce', (span) => {
      headers = injectTraceHeaders({ ce_id: 'abc' });
      producerTraceId = span.spanContext().traceId;
      producerSpanId = span.spanContext().spanId;
      span.end();
    });
    expect(headers['traceparent']).toBe(`00-${producerTraceId}-${producerSpanId}-01`);
    expect(headers['ce_id']).toBe('abc');

    // the consumer sees Buffers, as kafkajs delivers them
    const kafkaHeaders = { traceparent: Buffer.from(String(headers['traceparent'])) };
    context.with(ROOT_CONTEXT, () => {
      withTraceContext(kafkaHeaders, () => tracer.startActiveSpan('consume', (span) => span.end()));
    });
    const consume = t.spans().find((s) => s.name === 'consume')!;
    expect(consume.spanContext().traceId).toBe(producerTraceId);
    expect(consume.parentSpanContext?.spanId).toBe(producerSpanId);
  });

  it('keeps a stored traceparent when an instrumentation injects again (outbox relay -> kafkajs)', () => {
    const tracer = trace.getTracer('spec');
    const stored = tracer.startSpan('request');
    const storedHeaders = context.with(trace.setSpan(ROOT_CONTEXT, stored), () =>
      currentTraceHeaders(),
    );
    stored.end();
    const relay = tracer.startSpan('relay');
    const message: Record<string, string> = { ...storedHeaders };
    const fresh: Record<string, string> = {};
    context.with(trace.setSpan(ROOT_CONTEXT, relay), () => {
      propagation.inject(context.active(), message); // what the kafkajs instrumentation does
      propagation.inject(context.active(), fresh);
    });
    relay.end();
    expect(message['traceparent']).toBe(storedHeaders.traceparent);
    expect(fresh['traceparent']).toContain(relay.spanContext().traceId);
  });

  it('yields no traceparent outside a span and ignores malformed headers', () => {
    expect(context.with(ROOT_CONTEXT, () => currentTraceHeaders())).toEqual({});
    const ctx = extractTraceContext({ traceparent: 'garbage' }, ROOT_CONTEXT);
    expect(trace.getSpanContext(ctx)).toBeUndefined();
  });

  it('records RED metrics per gRPC method with error flag', async () => {
    recordRequest('grpc', '/trellis.test.v1.EchoService/Echo', { code: 'OK' }, 0.012);
    recordRequest('grpc', '/trellis.test.v1.EchoService/Echo', { code: 'NOT_FOUND' }, 0.003);
    const end = startRequestTimer('http', '/health/ready');
    end({ code: '503' });
    end({ code: '200' }); // second call ignored

    const result = await t.metricReader.collect();
    const metrics = result.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const grpc = metrics.find((m) => m.descriptor.name === 'trellis.grpc.server.duration')!;
    expect(grpc.dataPointType).toBe(DataPointType.HISTOGRAM);
    const points = grpc.dataPoints.map((p) => ({
      attrs: p.attributes,
      count: (p.value as { count: number }).count,
    }));
    expect(points).toEqual(
      expect.arrayContaining([
        {
          attrs: { 'rpc.method': '/trellis.test.v1.EchoService/Echo', code: 'OK', error: 'false' },
          count: 1,
        },
        {
          attrs: {
            'rpc.method': '/trellis.test.v1.EchoService/Echo',
            code: 'NOT_FOUND',
            error: 'true',
          },
          count: 1,
        },
      ]),
    );
    const http = metrics.find((m) => m.descriptor.name === 'trellis.http.server.duration')!;
    expect(http.dataPoints).toHaveLength(1);
    expect(http.dataPoints[0]!.attributes).toEqual({
      'http.route': '/health/ready',
      code: '503',
      error: 'true',
    });
  });

  it('instruments pg and Nest only for a consumer of their spans or metrics', () => {
    const names = (spans: boolean, metrics: boolean) =>
      defaultInstrumentations({ spans, metrics }).map((i) => i.instrumentationName);
    const http = '@opentelemetry/instrumentation-http';
    const grpc = '@opentelemetry/instrumentation-grpc';
    const pg = '@opentelemetry/instrumentation-pg';
    const nest = '@opentelemetry/instrumentation-nestjs-core';
    expect(names(true, true)).toEqual([http, grpc, pg, nest]);
    expect(names(true, false)).toEqual([http, grpc, pg, nest]);
    // Prometheus alone: pg's db.client.* metrics are read, nobody reads spans
    expect(names(false, true)).toEqual([http, grpc, pg]);
    // nothing exported: the trace context still crosses processes
    expect(names(false, false)).toEqual([http, grpc]);
  });
});
