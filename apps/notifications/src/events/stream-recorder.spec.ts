import { randomUUID } from 'node:crypto';

import { events, toTimestamp } from '@trellis/contracts';
import type { ReceivedEvent } from '@trellis/events';
import { receivedEvent } from '@trellis/events/testing';

import type { Prisma } from '../app/prisma';
import { recordEvent } from './stream-recorder';
import type { AwaitingEvent, Occurrence, StreamsStore } from './streams.repository';

const TOPIC = 'https://fhir.trellis.nhs.uk/SubscriptionTopic/result-available';
const TX = {} as Prisma.TransactionClient;

interface Sub {
  id: string;
  owner: string;
  ods: string;
  patient: string;
  stream: string[];
}

/** Practices, restrictions, waiting events and streams in memory, as the SQL keeps them. */
class MemoryStreams implements StreamsStore {
  readonly practices = new Map<string, { gp: string; version: number }>();
  readonly restricted = new Map<string, { restricted: boolean; version: number }>();
  readonly awaiting = new Map<string, AwaitingEvent[]>();
  readonly subs: Sub[] = [];

  subscribe(ods: string, owner = `sys-${ods}`, patient = ''): Sub {
    const sub = { id: randomUUID(), owner, ods, patient, stream: [] };
    this.subs.push(sub);
    return sub;
  }
  async practicesOf(_tx: unknown, nhs: string) {
    const p = this.practices.get(nhs);
    return p ? [p.gp] : [];
  }
  async awaitPractice(_tx: unknown, nhs: string, o: Omit<Occurrence, 'organisations'>) {
    const list = this.awaiting.get(nhs) ?? [];
    if (!list.some((w) => w.id === o.eventId))
      list.push({
        id: o.eventId,
        type: o.eventType,
        topic: o.topicUrl,
        focus: o.focus,
        at: o.occurredAt,
      });
    this.awaiting.set(nhs, list);
  }
  async setRestricted(_tx: unknown, nhs: string, restricted: boolean, version: number) {
    const now = this.restricted.get(nhs);
    if ((now || restricted) && (!now || now.version <= version))
      this.restricted.set(nhs, { restricted, version });
  }
  async keepPractice(_tx: unknown, nhs: string, gp: string, version: number) {
    const now = this.practices.get(nhs);
    if (!now || now.version <= version) this.practices.set(nhs, { gp, version });
  }
  async takeAwaiting(_tx: unknown, nhs: string) {
    const list = this.awaiting.get(nhs) ?? [];
    this.awaiting.delete(nhs);
    return list;
  }
  async forgetPractice(_tx: unknown, nhs: string) {
    this.practices.delete(nhs);
  }
  async isRestricted(_tx: unknown, nhs: string) {
    return this.restricted.get(nhs)?.restricted === true;
  }
  private concerned(o: Occurrence): Sub[] {
    return this.subs.filter(
      (s) =>
        o.topicUrl === TOPIC &&
        o.organisations.includes(s.ods) &&
        (s.patient === '' || s.patient === o.nhsNumber),
    );
  }
  async concernedOwners(_tx: unknown, o: Occurrence) {
    return [...new Set(this.concerned(o).map((s) => s.owner))];
  }
  async append(_tx: unknown, o: Occurrence, restrictedTo: readonly string[] | undefined) {
    let n = 0;
    for (const s of this.concerned(o))
      if ((!restrictedTo || restrictedTo.includes(s.owner)) && !s.stream.includes(o.focus)) {
        s.stream.push(o.focus);
        n++;
      }
    return n;
  }
}

const received = receivedEvent;

function resultAvailable(nhs: string, reportId: string, orgs: string[]): ReceivedEvent {
  const data = events.v1.ResultAvailable.encode(
    events.v1.ResultAvailable.fromPartial({
      context: {
        organisations: orgs.map((odsCode) => ({ odsCode, region: 'north-east' })),
        regions: ['north-east'],
        occurredAt: toTimestamp(new Date()),
      },
      report: { reportId, nhsNumber: nhs, category: 'LAB', status: 'final', version: 1 },
    }),
  ).finish();
  return received('uk.nhs.trellis.results.ResultAvailable.v1', data);
}

function registered(
  nhs: string,
  gp: string,
  confidentiality = 'normal',
  version = 1,
): ReceivedEvent {
  const data = events.v1.PatientRegistered.encode(
    events.v1.PatientRegistered.fromPartial({
      context: { organisations: [{ odsCode: gp, region: 'north-east' }] },
      patient: { nhsNumber: nhs, version, gpOdsCode: gp, region: 'north-east', confidentiality },
    }),
  ).finish();
  return received('uk.nhs.trellis.identity.PatientRegistered.v1', data);
}

const nobody = { mayReadRestricted: () => false };

describe('stream recorder (in-memory streams)', () => {
  it("a result reaches the named organisations and the patient's practice; before the practice is known it waits for it", async () => {
    const streams = new MemoryStreams();
    const lab = streams.subscribe('RR8');
    const gp = streams.subscribe('A81001');
    const other = streams.subscribe('B81001');
    await recordEvent(resultAvailable('9990000018', 'early', ['RR8']), TX, nobody, streams);
    expect([lab.stream, gp.stream]).toEqual([['DiagnosticReport/early'], []]);
    expect(streams.awaiting.get('9990000018')).toHaveLength(1);
    // identity's news: the waiting result reaches the practice, once
    await recordEvent(registered('9990000018', 'A81001'), TX, nobody, streams);
    await recordEvent(resultAvailable('9990000018', 'later', ['RR8']), TX, nobody, streams);
    expect(gp.stream).toEqual(['DiagnosticReport/early', 'DiagnosticReport/later']);
    expect(lab.stream).toEqual(['DiagnosticReport/early', 'DiagnosticReport/later']);
    expect(other.stream).toEqual([]);
    expect(streams.awaiting.has('9990000018')).toBe(false);
  });

  it("a restricted patient's events reach only subscribers that may read restricted records", async () => {
    const streams = new MemoryStreams();
    const plain = streams.subscribe('A81001', 'sys-plain');
    const trusted = streams.subscribe('A81001', 'sys-trusted');
    const readers = { mayReadRestricted: (id: string) => id === 'sys-trusted' };
    await recordEvent(registered('9990000026', 'A81001', 'restricted'), TX, readers, streams);
    await recordEvent(resultAvailable('9990000026', 'r1', ['RR8']), TX, readers, streams);
    expect(plain.stream).toEqual([]);
    expect(trusted.stream).toEqual(['DiagnosticReport/r1']);
    // no longer restricted (a newer version): everyone concerned again
    await recordEvent(registered('9990000026', 'A81001', 'normal', 2), TX, readers, streams);
    await recordEvent(resultAvailable('9990000026', 'r2', ['RR8']), TX, readers, streams);
    expect(plain.stream).toEqual(['DiagnosticReport/r2']);
  });
});
