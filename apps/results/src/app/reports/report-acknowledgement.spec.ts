import { rejectionOf } from '@trellis/testing';
import type { PatientDirectory } from '@trellis/identity-client';

import type { ReportContent } from '../domain/report-content';
import type { Actor } from '../domain/ports';
import { ResultsError, ResultsErrorCode } from '../domain/results.errors';
import type { ReportRow } from '../prisma';
import { ReportAcknowledgement } from './report-acknowledgement';
import { ReportSupport } from './report-support';
import type { Acknowledgement, ResultEvent, ResultEventSink } from './report-types';
import type { ReportsRepository } from './reports.repository';

const NOW = new Date('2027-05-04T10:00:00Z');
const REPORT_ID = '6b1f4b8e-2d43-4a57-9a55-1d2a7f3c9e01';
const LAB: Actor = { systemId: 'lab-system', odsCode: 'RR8', region: 'yorkshire' };
const GP: Actor = { systemId: 'gp-system', odsCode: 'B82001', region: 'yorkshire' };
const STRANGER: Actor = { systemId: 'other-system', odsCode: 'A81001', region: 'north-east' };

const content = {
  labReportId: 'LAB-1',
  nhsNumber: '9990000018',
  category: 'pathology',
  code: { system: 'http://loinc.org', code: '58410-2', display: 'FBC' },
  status: 'final',
  labOdsCode: 'RR8',
  requester: { odsCode: 'B82001', region: 'yorkshire', practitionerId: '' },
  referralId: '',
  issued: '2027-05-04T09:00:00.000Z',
  conclusion: '',
  observations: [],
} as unknown as ReportContent;

/** The repository as acknowledgement uses it, over one report held in memory (no database). */
function createTestService(version = 2) {
  const row = {
    id: REPORT_ID,
    version,
    contentHash: `hash-${version}`,
    labOdsCode: 'RR8',
    requesterOdsCode: 'B82001',
    nhsNumber: '9990000018',
    labRegion: 'yorkshire',
    mostSevere: '',
    severityRank: 0,
    abnormalCount: 0,
    receivedAt: NOW,
    acknowledgedVersion: null as number | null,
  } as unknown as ReportRow;
  const acks = new Map<number, Acknowledgement>();
  const repo = {
    findById: (id: string) => Promise.resolve(id === REPORT_ID ? row : null),
    lock: (id: string) => Promise.resolve(id === REPORT_ID ? row : null),
    version: () =>
      Promise.resolve({ content, reason: null, receivedAt: NOW, hash: row.contentHash }),
    acknowledgements: () => {
      const a = acks.get(row.version);
      return Promise.resolve(new Map(a ? [[REPORT_ID, a]] : []));
    },
    insertAcknowledgement: (a: Acknowledgement & { reportId: string }) => {
      if (acks.has(a.version)) return Promise.resolve(false);
      acks.set(a.version, a);
      return Promise.resolve(true);
    },
    // one unit of work: the same in-memory repository, no transaction client
    inTransaction: <R>(work: (r: ReportsRepository, tx: object) => Promise<R>) => work(repo, {}),
  } as unknown as ReportsRepository;
  const events: ResultEvent[] = [];
  const sink: ResultEventSink = {
    append: (_tx, event) => {
      events.push(event);
      return Promise.resolve();
    },
    appendMany: (_tx, list) => {
      events.push(...list);
      return Promise.resolve();
    },
  };
  const patients = {} as PatientDirectory;
  const support = new ReportSupport(repo, patients, sink, { now: () => NOW });
  return { service: new ReportAcknowledgement(support), events };
}

const refusal = (p: Promise<unknown>): Promise<ResultsError> => rejectionOf(p, ResultsError);

describe('acknowledging a result (no database)', () => {
  it('records the first acknowledgement of the latest version with one ResultAcknowledged', async () => {
    const { service, events } = createTestService();
    const first = await service.acknowledge(GP, REPORT_ID, 0, 'seen, no action');
    expect(first.replayed).toBe(false);
    expect(first.report.acknowledgement).toMatchObject({
      version: 2,
      odsCode: 'B82001',
      note: 'seen, no action',
      acknowledgedAt: NOW,
    });
    expect(events.map((e) => e.type)).toEqual(['ResultAcknowledged']);

    const again = await service.acknowledge(GP, REPORT_ID, 2, 'a second note');
    expect(again.replayed).toBe(true);
    expect(again.report.acknowledgement?.note).toBe('seen, no action');
    expect(events).toHaveLength(1);
  });

  it('refuses a superseded version: the latest must be acknowledged', async () => {
    const { service, events } = createTestService(3);
    const err = await refusal(service.acknowledge(GP, REPORT_ID, 2, ''));
    expect(err.code).toBe(ResultsErrorCode.IllegalTransition);
    expect(events).toEqual([]);
  });

  it('lets only the requesting organisation acknowledge; others do not see the report', async () => {
    const { service, events } = createTestService();
    expect((await refusal(service.acknowledge(LAB, REPORT_ID, 0, ''))).code).toBe(
      ResultsErrorCode.NotRequester,
    );
    expect((await refusal(service.acknowledge(STRANGER, REPORT_ID, 0, ''))).code).toBe(
      ResultsErrorCode.ReportNotFound,
    );
    expect(events).toEqual([]);
  });

  it('refuses a malformed id, a negative version and an over-long note at once', async () => {
    const { service } = createTestService();
    const err = await refusal(service.acknowledge(GP, 'not-a-uuid', -1, 'x'.repeat(2001)));
    expect(err.code).toBe(ResultsErrorCode.InvalidArgument);
    expect(err.violations.map((v) => v.field)).toEqual(['report_id', 'version', 'note']);
  });
});
