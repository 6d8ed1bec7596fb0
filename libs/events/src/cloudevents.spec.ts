import {
  CE_HEADERS,
  defineEventType,
  on,
  parseCloudEventHeaders,
  PROTOBUF_CONTENT_TYPE,
  routeEvents,
  toCloudEventHeaders,
  toReceivedEvent,
  type MessageCodec,
} from './cloudevents';
import { EventTypeMismatchError, InvalidEventError, PoisonMessageError } from './errors';

// A tiny length-prefixed "codec" standing in for a ts-proto MessageFns in unit tests.
const textCodec: MessageCodec<{ text: string }> = {
  encode: (m) => ({ finish: () => new TextEncoder().encode(`T:${m.text}`) }),
  decode: (bytes) => {
    const s = new TextDecoder().decode(bytes);
    if (!s.startsWith('T:')) throw new Error('not a T message');
    return { text: s.slice(2) };
  },
};

const Registered = defineEventType({
  type: 'uk.nhs.trellis.identity.PatientRegistered.v1',
  topic: { name: 'trellis.identity.patient.v1' },
  codec: textCodec,
  dataschema: 'proto:trellis.events.v1.PatientRegistered',
});

const attrs = {
  id: '0b9a3c52-8f64-4f8e-9b7c-6c1f0a7e2d11',
  source: '/trellis/identity',
  type: Registered.type,
  time: '2026-11-23T23:10:00.123Z',
  subject: '9990000018',
  dataschema: 'proto:trellis.events.v1.PatientRegistered',
  odscode: 'A81001',
  region: 'north-east',
  regions: ['north-east', 'london'],
  correlationid: 'corr-1',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

describe('CloudEvents binary mode', () => {
  it('writes every attribute as a ce_* header with protobuf content type', () => {
    expect(toCloudEventHeaders(attrs)).toEqual({
      ce_specversion: '1.0',
      ce_id: attrs.id,
      ce_source: '/trellis/identity',
      ce_type: 'uk.nhs.trellis.identity.PatientRegistered.v1',
      ce_time: attrs.time,
      'content-type': PROTOBUF_CONTENT_TYPE,
      ce_subject: '9990000018',
      ce_dataschema: 'proto:trellis.events.v1.PatientRegistered',
      ce_odscode: 'A81001',
      ce_region: 'north-east',
      ce_regions: 'north-east,london',
      ce_correlationid: 'corr-1',
      traceparent: attrs.traceparent,
    });
  });

  it('never lets extra headers override ce_* attributes', () => {
    const headers = toCloudEventHeaders(attrs, {
      ce_id: 'forged',
      'content-type': 'text/plain',
      'x-note': 'kept',
    });
    expect(headers.ce_id).toBe(attrs.id);
    expect(headers['content-type']).toBe(PROTOBUF_CONTENT_TYPE);
    expect(headers['x-note']).toBe('kept');
  });

  it('round-trips through Kafka-style Buffer headers', () => {
    const buffers = Object.fromEntries(
      Object.entries(toCloudEventHeaders(attrs)).map(([k, v]) => [k, Buffer.from(v)]),
    );
    expect(parseCloudEventHeaders(buffers)).toEqual({
      ...attrs,
      datacontenttype: PROTOBUF_CONTENT_TYPE,
      tracestate: undefined,
    });
  });

  it('reports every missing or wrong header at once', () => {
    const bad = { ce_specversion: '0.3', ce_time: 'yesterday', 'content-type': 'application/json' };
    expect(() => parseCloudEventHeaders(bad)).toThrow(InvalidEventError);
    try {
      parseCloudEventHeaders(bad);
    } catch (e) {
      const message = (e as Error).message;
      for (const part of [
        'unsupported ce_specversion "0.3"',
        'missing header ce_id',
        'missing header ce_source',
        'missing header ce_type',
        'invalid ce_time yesterday',
        'unsupported content-type "application/json"',
      ]) {
        expect(message).toContain(part);
      }
    }
  });

  it('treats a bad envelope as a poison message', () => {
    expect(new InvalidEventError('x')).toBeInstanceOf(PoisonMessageError);
  });
});

describe('event types', () => {
  it('rejects a ce type that does not follow the convention', () => {
    expect(() =>
      defineEventType({ type: 'PatientRegistered', topic: 't', codec: textCodec }),
    ).toThrow(/uk\.nhs\.trellis/);
  });

  it('builds the outbox input of an occurrence', () => {
    const input = Registered.occurrence({ text: 'hi' }, { key: '9990000018', odsCode: 'A81001' });
    expect(input).toMatchObject({
      topic: 'trellis.identity.patient.v1',
      type: Registered.type,
      key: '9990000018',
      odsCode: 'A81001',
      dataschema: 'proto:trellis.events.v1.PatientRegistered',
    });
    expect(Registered.decode(input.payload)).toEqual({ text: 'hi' });
  });

  const received = (type: string, value: Uint8Array) =>
    toReceivedEvent({
      topic: 'trellis.identity.patient.v1',
      partition: 3,
      offset: '42',
      key: Buffer.from('9990000018'),
      value,
      headers: toCloudEventHeaders({ ...attrs, type }),
    });

  it('decodes a received event as its own type only', () => {
    const event = received(Registered.type, Registered.encode({ text: 'x' }));
    expect(event.key).toBe('9990000018');
    expect(event.decode(Registered)).toEqual({ text: 'x' });
    const other = defineEventType({
      type: 'uk.nhs.trellis.identity.PatientMerged.v1',
      topic: 't',
      codec: textCodec,
    });
    expect(() => event.decode(other)).toThrow(EventTypeMismatchError);
  });

  it('turns undecodable bytes into a poison message', () => {
    const event = received(Registered.type, new TextEncoder().encode('garbage'));
    expect(() => event.decode(Registered)).toThrow(PoisonMessageError);
  });

  it('routes by ce type and skips or fails on unknown types', async () => {
    const seen: string[] = [];
    const handle = routeEvents<string>([
      on(Registered, async (data, _event, tx) => void seen.push(`${tx}:${data.text}`)),
    ]);
    await handle(received(Registered.type, Registered.encode({ text: 'a' })), 'tx1');
    await handle(received('uk.nhs.trellis.identity.Other.v1', new Uint8Array()), 'tx2');
    expect(seen).toEqual(['tx1:a']);
    const strict = routeEvents<string>([], { onUnknown: 'fail' });
    await expect(strict(received(Registered.type, new Uint8Array()), 'tx')).rejects.toThrow(
      EventTypeMismatchError,
    );
  });

  it('refuses two routes for one type', () => {
    const route = on(Registered, async () => undefined);
    expect(() => routeEvents([route, route])).toThrow(/two routes/);
  });
});

describe('header names', () => {
  it('follow the CloudEvents Kafka binding', () => {
    expect(
      Object.values(CE_HEADERS).filter((h) => h.startsWith('ce_')).length,
    ).toBeGreaterThanOrEqual(11);
  });
});
