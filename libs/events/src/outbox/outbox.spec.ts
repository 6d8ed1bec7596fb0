import type { RawSqlClient } from '../sql-client';
import { createOutbox, OUTBOX_CHANNEL } from './outbox';
import { outboxRowToMessage } from './relay';

function recordingTx() {
  const calls: Array<{ sql: string; values: unknown[] }> = [];
  const tx: RawSqlClient = {
    $executeRaw: async () => 1,
    $queryRaw: async <T>(query: TemplateStringsArray, ...values: unknown[]) => {
      calls.push({ sql: query.join('$'), values });
      return [{ n: 1 }] as T;
    },
  };
  return { tx, calls };
}

const event = {
  topic: 'trellis.identity.patient.v1',
  type: 'uk.nhs.trellis.identity.PatientRegistered.v1',
  key: '9990000018',
  subject: '9990000018',
  odsCode: 'A81001',
  region: 'north-east',
  regions: ['north-east'],
  correlationId: 'c-1',
  payload: new Uint8Array([1, 2, 3]),
};

describe('outbox', () => {
  it('inserts the event and notifies the relay in one tagged statement', async () => {
    const { tx, calls } = recordingTx();
    const outbox = createOutbox({ source: '/trellis/identity' });
    const id = await outbox.enqueue(tx, event);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.sql).toContain('INSERT INTO outbox_events');
    expect(calls[0]!.sql).toContain('pg_notify');
    expect(calls[0]!.values).toEqual(
      expect.arrayContaining([
        id,
        event.topic,
        event.key,
        event.type,
        '/trellis/identity',
        OUTBOX_CHANNEL,
        event.payload,
      ]),
    );
    const headers = JSON.parse(
      calls[0]!.values.find((v) => typeof v === 'string' && v.startsWith('{')) as string,
    );
    expect(headers).toEqual({ ce_correlationid: 'c-1' });
  });

  it('rejects invalid events with every problem named', async () => {
    const { tx } = recordingTx();
    const outbox = createOutbox({ source: '/trellis/identity' });
    await expect(
      outbox.enqueue(tx, {
        ...event,
        topic: '',
        type: 'Registered',
        key: '',
        id: 'nope',
        payload: 'x' as unknown as Uint8Array,
      }),
    ).rejects.toThrow(
      /topic is required; type "Registered".*; payload must be protobuf bytes.*; key must be.*; id must be a uuid/,
    );
    expect(() => createOutbox({ source: 'identity' })).toThrow(/\/trellis\/<service>/);
  });

  it('writes many events as arrays in one statement, keeping their order', async () => {
    const { tx, calls } = recordingTx();
    const ids = await createOutbox({ source: '/trellis/identity' }).enqueueMany(tx, [
      event,
      { ...event, key: '9990000026' },
    ]);
    expect(ids).toHaveLength(2);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.sql).toContain('WITH ORDINALITY');
    expect(calls[0]!.values).toContainEqual(ids);
  });

  it('maps an outbox row to a binary-mode CloudEvent message', () => {
    const message = outboxRowToMessage({
      id: 'a5f0c3d2-0000-4000-8000-000000000001',
      seq: '7',
      topic: event.topic,
      key: event.key,
      ce_type: event.type,
      ce_source: '/trellis/identity',
      ce_subject: '9990000018',
      ce_time: new Date('2026-11-23T23:10:00.123Z'),
      ce_dataschema: 'proto:trellis.events.v1.PatientRegistered',
      ods_code: 'A81001',
      region: 'north-east',
      regions: ['north-east', 'london'],
      headers: {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        ce_correlationid: 'c-1',
      },
      payload: Buffer.from([1, 2, 3]),
    });
    expect(message).toEqual({
      topic: event.topic,
      key: '9990000018',
      value: Buffer.from([1, 2, 3]),
      headers: {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'trellis-origin-traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        ce_specversion: '1.0',
        ce_id: 'a5f0c3d2-0000-4000-8000-000000000001',
        ce_source: '/trellis/identity',
        ce_type: event.type,
        ce_time: '2026-11-23T23:10:00.123Z',
        'content-type': 'application/protobuf',
        ce_subject: '9990000018',
        ce_dataschema: 'proto:trellis.events.v1.PatientRegistered',
        ce_odscode: 'A81001',
        ce_region: 'north-east',
        ce_regions: 'north-east,london',
        ce_correlationid: 'c-1',
      },
    });
  });
});
