import { randomUUID } from 'node:crypto';

import { events, toTimestamp } from '@trellis/contracts';
import { createPrismaClient } from '@trellis/database';
import type { ReceivedEvent } from '@trellis/events';
import { createTestSchema, type TestSchema } from '@trellis/testing';

import { PrismaClient } from '../src/app/prisma';
import { recordEvent } from '../src/events/stream-recorder';
import { receivedEvent } from './support/events';

// The stream recorder against real PostgreSQL: which subscriptions an event reaches (organisation,
// registered practice for results, patient filter, topic), contiguous event numbers per
// subscription, and a redelivered event recorded once.

const TOPIC = 'https://fhir.trellis.nhs.uk/SubscriptionTopic/result-available';

let schema: TestSchema;
let prisma: PrismaClient;

beforeAll(async () => {
  schema = await createTestSchema('notifications');
  prisma = createPrismaClient(PrismaClient, { url: schema.url, schema: schema.schema });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await schema?.drop();
});

const received = receivedEvent;

function resultAvailable(nhs: string, reportId: string, orgs: string[]): ReceivedEvent {
  const data = events.v1.ResultAvailable.encode(
    events.v1.ResultAvailable.fromPartial({
      context: {
        organisations: orgs.map((odsCode) => ({ odsCode, region: 'north-east' })),
        regions: ['north-east'],
        occurredAt: toTimestamp(new Date()),
        correlationId: '',
      },
      report: {
        reportId,
        labReportId: 'x',
        nhsNumber: nhs,
        category: 'LAB',
        codeSystem: '',
        code: '',
        codeDisplay: '',
        status: 'final',
        version: 1,
        requesterPractitionerId: '',
        referralId: '',
        mostSevereInterpretation: '',
        severity: '',
        observationCount: 1,
        abnormalCount: 0,
      },
    }),
  ).finish();
  return received('uk.nhs.trellis.results.ResultAvailable.v1', data);
}

/** Systems `sys-<ods>`; only those named here may read restricted records. */
let restrictedReaders = new Set<string>();
const readers = { mayReadRestricted: (id: string) => restrictedReaders.has(id) };

function registered(
  nhs: string,
  gp: string,
  confidentiality: 'normal' | 'restricted' = 'normal',
  version = 1,
): ReceivedEvent {
  const data = events.v1.PatientRegistered.encode(
    events.v1.PatientRegistered.fromPartial({
      context: {
        organisations: [{ odsCode: gp, region: 'north-east' }],
        regions: [],
        correlationId: '',
      },
      patient: {
        nhsNumber: nhs,
        version,
        gpOdsCode: gp,
        region: 'north-east',
        confidentiality,
      },
      duplicateOverride: false,
      overriddenCandidates: [],
      overrideReason: '',
    }),
  ).finish();
  return received('uk.nhs.trellis.identity.PatientRegistered.v1', data);
}

async function subscribe(ods: string, patient = '', system = `sys-${ods}`): Promise<string> {
  const id = randomUUID();
  await prisma.subscription.create({
    data: {
      id,
      ownerSystemId: system,
      ownerOdsCode: ods,
      topic: TOPIC,
      endpoint: 'https://example.invalid/hook',
      payloadContent: 'id-only',
      patientNhsNumber: patient,
      status: 'active',
    },
  });
  return id;
}

const streamOf = async (id: string) =>
  (
    await prisma.notificationEvent.findMany({
      where: { subscriptionId: id },
      orderBy: { eventNumber: 'asc' },
    })
  ).map((e) => [Number(e.eventNumber), e.focus]);

it('records a result for the lab, the requester and the registered practice, numbered per subscription, once', async () => {
  const nhs = '9990000018';
  const gp = await subscribe('A81001', nhs);
  const requester = await subscribe('RJ1');
  const other = await subscribe('A82001', nhs);
  await prisma.$transaction((tx) => recordEvent(registered(nhs, 'A81001'), tx, readers));
  const first = resultAvailable(nhs, 'r1', ['RR8', 'RJ1']);
  await prisma.$transaction((tx) => recordEvent(first, tx, readers));
  await prisma.$transaction((tx) => recordEvent(first, tx, readers)); // redelivered
  await prisma.$transaction((tx) =>
    recordEvent(resultAvailable(nhs, 'r2', ['RR8', 'RJ1']), tx, readers),
  );
  // another patient: the GP's patient filter leaves it out, the requester (no filter) gets it
  await prisma.$transaction((tx) =>
    recordEvent(resultAvailable('9990000026', 'r3', ['RR8', 'RJ1']), tx, readers),
  );
  expect([await streamOf(gp), await streamOf(requester), await streamOf(other)]).toEqual([
    [
      [1, 'DiagnosticReport/r1'],
      [2, 'DiagnosticReport/r2'],
    ],
    [
      [1, 'DiagnosticReport/r1'],
      [2, 'DiagnosticReport/r2'],
      [3, 'DiagnosticReport/r3'],
    ],
    [],
  ]);
});

it('brings a result that came before the registration to the practice once identity names it', async () => {
  const nhs = '9990000034';
  const gp = await subscribe('B81001', nhs);
  await prisma.$transaction((tx) =>
    recordEvent(resultAvailable(nhs, 'early', ['RR8', 'RJ1']), tx, readers),
  );
  expect(await streamOf(gp)).toEqual([]);
  await prisma.$transaction((tx) => recordEvent(registered(nhs, 'B81001'), tx, readers));
  await prisma.$transaction((tx) =>
    recordEvent(resultAvailable(nhs, 'later', ['RR8', 'RJ1']), tx, readers),
  );
  expect(await streamOf(gp)).toEqual([
    [1, 'DiagnosticReport/early'],
    [2, 'DiagnosticReport/later'],
  ]);
  expect(await prisma.awaitingPractice.count({ where: { nhsNumber: nhs } })).toBe(0);
});

describe("restricted patients' events (issue 21)", () => {
  afterEach(() => {
    restrictedReaders = new Set();
  });

  it('reach only subscribers whose system may read restricted records, parties and practice alike', async () => {
    const nhs = '9990000042';
    restrictedReaders = new Set(['sys-gp-restricted', 'sys-RJ1-restricted']);
    const gpWithout = await subscribe('C81001', nhs, 'sys-gp-plain');
    const gpWith = await subscribe('C81001', nhs, 'sys-gp-restricted');
    const requesterWithout = await subscribe('RJ1', nhs, 'sys-RJ1-plain');
    const requesterWith = await subscribe('RJ1', nhs, 'sys-RJ1-restricted');
    const record = (e: ReceivedEvent) => prisma.$transaction((tx) => recordEvent(e, tx, readers));
    await record(registered(nhs, 'C81001', 'restricted'));
    await record(resultAvailable(nhs, 'secret', ['RR8', 'RJ1']));
    expect(
      await Promise.all([gpWithout, gpWith, requesterWithout, requesterWith].map(streamOf)),
    ).toEqual([[], [[1, 'DiagnosticReport/secret']], [], [[1, 'DiagnosticReport/secret']]]);
  });

  it('follow the latest restriction state: lifted, everyone concerned hears again; an older state arriving late does not win', async () => {
    const nhs = '9990000050';
    const gp = await subscribe('C82001', nhs);
    const record = (e: ReceivedEvent) => prisma.$transaction((tx) => recordEvent(e, tx, readers));
    await record(registered(nhs, 'C82001', 'restricted', 1));
    await record(resultAvailable(nhs, 'hidden', ['RR8', 'RJ1']));
    await record(registered(nhs, 'C82001', 'normal', 2));
    await record(registered(nhs, 'C82001', 'restricted', 1)); // redelivered old state
    await record(resultAvailable(nhs, 'shown', ['RR8', 'RJ1']));
    expect(await streamOf(gp)).toEqual([[1, 'DiagnosticReport/shown']]);
  });
});
