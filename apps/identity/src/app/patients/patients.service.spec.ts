import type { NhsNumberAllocator } from '@trellis/nhs-number';
import type { PatientEvent, PatientEventSink } from '../../events/patient-events';
import type { Actor, PatientRecord, TraceQuery, TraceResult } from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import type { Db, PatientsRepository } from './patients.repository';
import { DEFAULT_RULES, PatientsService, type TransactionRunner } from './patients.service';

const actor = (scopes: string[]): Actor => ({
  systemId: 'sys-1',
  odsCode: 'A81001',
  region: 'north-east',
  scopes,
});

function record(nhsNumber: string, over: Partial<PatientRecord> = {}): PatientRecord {
  return {
    nhsNumber,
    names: [{ use: 'usual', family: 'Hargreaves', given: ['Oliver'], prefix: [] }],
    gender: 'male',
    birthDate: '2010-05-20',
    addresses: [],
    telecom: [],
    gpHistory: [],
    confidentiality: 'normal',
    version: 1,
    lastUpdated: new Date('2026-01-01T00:00:00Z'),
    supersededNhsNumbers: [],
    ...over,
  };
}

/** A service over an in-memory repository stand-in: rules only, no SQL (the SQL is integration-tested). */
function createTestService(opts: { trace?: TraceResult; records?: PatientRecord[] } = {}) {
  const records = new Map((opts.records ?? []).map((r) => [r.nhsNumber, r]));
  const traces: TraceQuery[] = [];
  const events: PatientEvent[] = [];
  const repo = {
    trace: async (_db: Db, q: TraceQuery) => {
      traces.push(q);
      return opts.trace ?? { candidates: [], totalAboveThreshold: 0 };
    },
    find: async (_db: Db, nhs: string) => records.get(nhs),
    findMany: async (_db: Db, nhs: string[]) =>
      new Map(nhs.filter((n) => records.has(n)).map((n) => [n, records.get(n)!])),
    lockRegistrationKeys: async () => undefined,
    lockRow: async () => ({ version: 1 }),
  } as unknown as PatientsRepository;
  const db = {
    $transaction: async <R>(fn: (tx: Db) => Promise<R>) => fn({} as Db),
  } as unknown as Db & TransactionRunner;
  const allocator = { allocate: async () => '9990000018' } as unknown as NhsNumberAllocator;
  const sink: PatientEventSink = { emit: async (_tx, e) => void events.push(e) };
  return { service: new PatientsService(db, repo, allocator, sink, DEFAULT_RULES), traces, events };
}

const details = {
  names: [{ use: 'usual' as const, family: 'Hargreaves', given: ['Oliver'], prefix: [] }],
  gender: 'male' as const,
  birthDate: '2010-05-20',
  addresses: [],
  telecom: [],
  confidentiality: 'normal' as const,
};

async function errorOf(p: Promise<unknown>): Promise<IdentityError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof IdentityError) return e;
    throw e;
  }
  throw new Error('expected an IdentityError');
}

describe('PatientsService rules', () => {
  it('refuses a duplicate as single-match with the candidate, before allocating a number', async () => {
    const { service, traces, events } = createTestService({
      trace: {
        candidates: [{ nhsNumber: '9990000026', score: 0.97, matchedOn: ['family:exact'] }],
        totalAboveThreshold: 1,
      },
      records: [record('9990000026')],
    });
    const err = await errorOf(
      service.register(actor(['system/Patient.c']), details, { flag: false, reason: '' }),
    );
    expect(err.code).toBe(IdentityErrorCode.DuplicatePatient);
    expect(err.kind).toBe('ALREADY_EXISTS');
    expect(err.duplicates).toMatchObject({ match: 'single-match', threshold: 0.85 });
    expect(err.candidateHits.map((h) => h.patient.nhsNumber)).toEqual(['9990000026']);
    expect(traces[0]).toMatchObject({ mode: 'fuzzy', minScore: 0.85, birthDate: '2010-05-20' });
    expect(events).toEqual([]);
  });

  it('reports several candidates as multiple-match', async () => {
    const { service } = createTestService({
      trace: {
        candidates: [
          { nhsNumber: '9990000026', score: 0.95, matchedOn: [] },
          { nhsNumber: '9990000034', score: 0.9, matchedOn: [] },
        ],
        totalAboveThreshold: 2,
      },
      records: [record('9990000026'), record('9990000034')],
    });
    const err = await errorOf(service.register(actor([]), details, { flag: false, reason: '' }));
    expect(err.duplicates!.match).toBe('multiple-match');
    expect(err.details.map((d) => d.rule)).toEqual([
      'duplicate.multiple-match',
      'duplicate.multiple-match',
    ]);
  });

  it('needs a reason to override', async () => {
    const { service } = createTestService();
    const err = await errorOf(service.register(actor([]), details, { flag: true, reason: '' }));
    expect(err.details).toEqual([
      expect.objectContaining({ field: 'override_reason', rule: 'required' }),
    ]);
  });

  it('single-match callers (no system/Patient.s) get one hit only when exactly one clears the threshold', async () => {
    const one = createTestService({
      trace: {
        candidates: [{ nhsNumber: '9990000026', score: 0.9, matchedOn: [] }],
        totalAboveThreshold: 1,
      },
      records: [record('9990000026')],
    });
    const r1 = await one.service.trace(
      actor(['system/Patient.r']),
      { family: 'Hargreaves', mode: 'fuzzy', birthDate: '2010-05-20' },
      false,
    );
    expect(r1).toMatchObject({ singleMatch: true, totalAboveThreshold: 1 });
    expect(r1.hits).toHaveLength(1);
    expect(one.traces[0]!.maxResults).toBe(2);
    const two = createTestService({
      trace: {
        candidates: [
          { nhsNumber: '9990000026', score: 0.9, matchedOn: [] },
          { nhsNumber: '9990000034', score: 0.9, matchedOn: [] },
        ],
        totalAboveThreshold: 2,
      },
      records: [record('9990000026'), record('9990000034')],
    });
    const r2 = await two.service.trace(
      actor(['system/Patient.r']),
      { family: 'Hargreaves', mode: 'fuzzy', birthDate: '2010-05-20' },
      false,
    );
    expect(r2.hits).toEqual([]);
    const searcher = await two.service.trace(
      actor(['system/Patient.rs']),
      { family: 'Hargreaves', mode: 'fuzzy', birthDate: '2010-05-20' },
      false,
    );
    expect(searcher.hits).toHaveLength(2);
    expect(two.traces[1]).toMatchObject({ maxResults: 10, minScore: 0.8, dominanceMargin: 0.1 });
  });

  it('refuses merging a record into itself without touching the database', async () => {
    const { service } = createTestService();
    const err = await errorOf(
      service.merge(actor([]), {
        superseded: '9990000018',
        survivor: '999 000 0018',
        expectedSupersededVersion: 0,
        expectedSurvivorVersion: 0,
        reason: '',
      }),
    );
    expect(err).toMatchObject({ code: IdentityErrorCode.MergeIntoSelf, kind: 'INVALID_ARGUMENT' });
  });

  it('reads a merged number as its survivor, flagged', async () => {
    const { service } = createTestService({
      records: [record('9990000026', { mergedInto: '9990000034' }), record('9990000034')],
    });
    const r = await service.get(actor(['system/Patient.r']), '9990000026');
    expect(r).toMatchObject({
      superseded: true,
      requested: '9990000026',
      patient: { nhsNumber: '9990000034' },
    });
  });

  it('refuses a stale expected version with the current version', async () => {
    const { service } = createTestService({ records: [record('9990000018', { version: 4 })] });
    const err = await errorOf(
      service.update(actor([]), '9990000018', 3, { birthDate: '2010-05-21' }),
    );
    expect(err).toMatchObject({
      code: IdentityErrorCode.VersionConflict,
      kind: 'ABORTED',
      metadata: { current_version: '4' },
    });
  });
});
