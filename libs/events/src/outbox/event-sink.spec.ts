import { events } from '@trellis/contracts';

import type { OutboxEventInput } from '../cloudevents';
import { domainEventTypes } from '../domain-event-types';
import type { RawSqlClient } from '../sql-client';
import { TOPICS } from '../topics';
import {
  domainEventWriter,
  OutboxEventSink,
  outboxEventSink,
  ownerAndCounterpart,
  withEventFields,
} from './event-sink';
import type { Outbox } from './outbox';

const tx = {} as RawSqlClient;
const at = new Date('2028-03-10T12:00:00Z');

function recordingOutbox() {
  const written: { tx: RawSqlClient; events: OutboxEventInput[] }[] = [];
  const outbox: Outbox = {
    source: '/trellis/test',
    enqueue: (t, event) => {
      written.push({ tx: t, events: [event] });
      return Promise.resolve('id-1');
    },
    enqueueMany: (t, events) => {
      written.push({ tx: t, events: [...events] });
      return Promise.resolve(events.map((_, i) => `id-${i}`));
    },
  };
  return { outbox, written };
}

const toInput = (event: { n: number }, meta: { occurredAt: Date }): OutboxEventInput => ({
  topic: 't',
  type: `uk.nhs.trellis.test.Happened${event.n}.v1`,
  key: null,
  time: meta.occurredAt,
  payload: new Uint8Array([event.n]),
});

describe('OutboxEventSink', () => {
  it("writes one event, or several with one statement, in the caller's transaction", async () => {
    const { outbox, written } = recordingOutbox();
    const sink = new OutboxEventSink<{ n: number }>(outbox, toInput);
    await sink.append(tx, { n: 1 }, { occurredAt: at });
    await sink.appendMany(tx, [{ n: 2 }, { n: 3 }], { occurredAt: at });
    expect(written.map((w) => w.tx)).toEqual([tx, tx]);
    expect(written.map((w) => w.events.map((e) => e.type))).toEqual([
      ['uk.nhs.trellis.test.Happened1.v1'],
      ['uk.nhs.trellis.test.Happened2.v1', 'uk.nhs.trellis.test.Happened3.v1'],
    ]);
  });
});

describe('outboxEventSink', () => {
  it('makes the sink class of a platform: constructed over the outbox, writing through its toOutboxInput', async () => {
    const { outbox, written } = recordingOutbox();
    const PlatformSink = outboxEventSink<{ n: number }>(toInput);
    const sink = new PlatformSink(outbox);
    expect(sink).toBeInstanceOf(OutboxEventSink);
    await sink.appendMany(tx, [{ n: 4 }, { n: 5 }], { occurredAt: at });
    expect(written.map((w) => w.events.map((e) => e.type))).toEqual([
      ['uk.nhs.trellis.test.Happened4.v1', 'uk.nhs.trellis.test.Happened5.v1'],
    ]);
  });
});

describe('ownerAndCounterpart', () => {
  it('names the counterpart only when it is another organisation', () => {
    const owner = { odsCode: 'RTH', region: 'south-east' };
    expect(ownerAndCounterpart(owner, { odsCode: 'RTH', region: 'south-east' })).toEqual([owner]);
    expect(ownerAndCounterpart(owner, { odsCode: 'A81001', region: 'north-east' })).toEqual([
      owner,
      { odsCode: 'A81001', region: 'north-east' },
    ]);
  });
});

describe('domainEventWriter', () => {
  const { ResultAvailable, ResultAmended } = domainEventTypes('results', TOPICS.resultsReport, [
    'ResultAvailable',
    'ResultAmended',
  ]);
  type Event =
    { type: 'ResultAvailable'; id: string } | { type: 'ResultAmended'; id: string; reason: string };
  const write = domainEventWriter({
    service: 'results',
    types: { ResultAvailable, ResultAmended },
    subject: (e: Event) => ({
      organisations: [{ odsCode: 'RTH', region: 'south-east' }],
      record: { nhsNumber: '9990000018', id: e.id },
      common: { report: events.v1.ResultEventContext.fromPartial({ reportId: e.id }) },
    }),
    payloads: {
      ResultAvailable: (_, common) => common,
      ResultAmended: (e, common) => ({
        ...common,
        previousVersion: 1,
        previousStatus: 'final',
        reason: e.reason,
      }),
    },
  });

  it("writes each event as its own type's occurrence: envelope, common fields and its own", () => {
    const row = write({ type: 'ResultAmended', id: 'r-1', reason: 'typo' }, { occurredAt: at });
    expect(row).toMatchObject({
      type: 'uk.nhs.trellis.results.ResultAmended.v1',
      topic: 'trellis.results.report.v1',
      key: '9990000018',
      subject: 'r-1',
      odsCode: 'RTH',
      regions: ['south-east'],
      time: at,
    });
    const payload = ResultAmended.decode(row.payload);
    expect(payload.reason).toBe('typo');
    expect(payload.report?.reportId).toBe('r-1');
    expect(payload.context?.actor?.systemId).toBe('trellis-results');
    const available = write({ type: 'ResultAvailable', id: 'r-2' }, { occurredAt: at });
    expect(available.type).toBe('uk.nhs.trellis.results.ResultAvailable.v1');
    expect(ResultAvailable.decode(available.payload).report?.reportId).toBe('r-2');
  });
});

describe('withEventFields', () => {
  it('adds the named fields of the event, under the same names, to the common fields', () => {
    const payload = withEventFields('reason', 'previousVersion');
    const common = { report: { reportId: 'r-1' } };
    expect(
      payload({ type: 'ResultAmended', reason: 'typo', previousVersion: 2, other: 'x' }, common),
    ).toEqual({ report: { reportId: 'r-1' }, reason: 'typo', previousVersion: 2 });
    expect(common).toEqual({ report: { reportId: 'r-1' } });
  });

  it('serves as a payload builder of a domainEventWriter spec', () => {
    const { ResultAmended } = domainEventTypes('results', TOPICS.resultsReport, ['ResultAmended']);
    const write = domainEventWriter({
      service: 'results',
      types: { ResultAmended },
      subject: (e: {
        type: 'ResultAmended';
        id: string;
        reason: string;
        previousStatus: string;
      }) => ({
        organisations: [{ odsCode: 'RTH', region: 'south-east' }],
        record: { nhsNumber: '9990000018', id: e.id },
        common: {
          report: events.v1.ResultEventContext.fromPartial({ reportId: e.id }),
          previousVersion: 1,
        },
      }),
      payloads: { ResultAmended: withEventFields('reason', 'previousStatus') },
    });
    const row = write(
      { type: 'ResultAmended', id: 'r-1', reason: 'typo', previousStatus: 'final' },
      { occurredAt: at },
    );
    const payload = ResultAmended.decode(row.payload);
    expect(payload).toMatchObject({ reason: 'typo', previousStatus: 'final', previousVersion: 1 });
    expect(payload.report?.reportId).toBe('r-1');
  });
});
