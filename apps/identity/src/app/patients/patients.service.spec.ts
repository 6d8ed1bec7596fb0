import type { NhsNumberAllocator } from '@trellis/nhs-number';
import type { PatientEvent, PatientEventSink } from '../../events/patient-events';
import { InMemoryPatients, TEST_DETAILS, testActor, testRecord } from './in-memory-patients';
import type { PatientRecord, TraceResult } from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import type { PatientsRepository } from './patients.repository';
import { DEFAULT_RULES, PatientsService } from './patients.service';

const actor = testActor;
const record = testRecord;

const NOW = new Date('2026-11-24T09:00:00Z');

/** A service over an in-memory repository stand-in: rules only, no SQL (the SQL is integration-tested). */
function createTestService(opts: { trace?: TraceResult; records?: PatientRecord[] } = {}) {
  const store = new InMemoryPatients(opts.records, opts.trace);
  const events: PatientEvent[] = [];
  const allocator = { allocateAhead: async () => '9990000018' } as unknown as NhsNumberAllocator;
  const sink: PatientEventSink = { emit: async (_tx, e) => void events.push(e) };
  const clock = () => NOW;
  const repo = store as unknown as PatientsRepository;
  return {
    service: new PatientsService(repo, allocator, sink, DEFAULT_RULES, clock),
    traces: store.traces,
    events,
    get versions() {
      return store.appended.map((a) => ({
        version: a.record.version,
        change: a.meta.change,
        changedFields: a.meta.changedFields,
      }));
    },
    records: store.records,
  };
}

const details = TEST_DETAILS;

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

  describe('UpdatePatient with deceased_at (the MarkDeceased path)', () => {
    const nhs = '9990000018';
    const died = new Date('2026-11-20T14:05:00Z');

    it('records demographics and the death as one version, emitting PatientUpdated then PatientDeceased', async () => {
      const t = createTestService({ records: [record(nhs)] });
      const r = await t.service.update(actor([]), nhs, 1, {
        birthDate: '2010-05-21',
        deceasedAt: died,
      });
      expect(r.changedFields).toEqual(['birth_date', 'deceased_at']);
      expect(r.patient).toMatchObject({ version: 2, birthDate: '2010-05-21', deceasedAt: died });
      expect(t.versions).toEqual([
        { version: 2, change: 'deceased', changedFields: ['birth_date', 'deceased_at'] },
      ]);
      expect(t.events.map((e) => e.kind)).toEqual(['updated', 'deceased']);
      expect(t.events[0]).toMatchObject({ changedFields: ['birth_date'] });
    });

    it('a death alone emits only PatientDeceased, exactly as MarkDeceased does', async () => {
      const viaUpdate = createTestService({ records: [record(nhs)] });
      await viaUpdate.service.update(actor([]), nhs, 1, { deceasedAt: died });
      const viaMark = createTestService({ records: [record(nhs)] });
      await viaMark.service.markDeceased(actor([]), nhs, 1, died);
      for (const t of [viaUpdate, viaMark]) {
        expect(t.events.map((e) => e.kind)).toEqual(['deceased']);
        expect(t.versions).toEqual([
          { version: 2, change: 'deceased', changedFields: ['deceased_at'] },
        ]);
        expect(t.records.get(nhs)!.deceasedAt).toEqual(died);
      }
    });

    it('the same death again is a no-op; a different one is refused (no correction by update)', async () => {
      const t = createTestService({ records: [record(nhs, { deceasedAt: died, version: 2 })] });
      const same = await t.service.update(actor([]), nhs, 2, {
        deceasedAt: new Date(died.getTime()),
      });
      expect(same).toMatchObject({ changedFields: [], patient: { version: 2 } });
      const err = await errorOf(
        t.service.update(actor([]), nhs, 2, { deceasedAt: new Date('2026-11-19T00:00:00Z') }),
      );
      expect(err).toMatchObject({
        code: IdentityErrorCode.AlreadyDeceased,
        kind: 'FAILED_PRECONDITION',
      });
      expect(err.details).toEqual([
        expect.objectContaining({
          field: 'changes.deceased_at',
          rule: 'patient.deceased',
          message: expect.stringContaining('corrections of a death are a separate process'),
        }),
      ]);
      expect(t.events).toEqual([]);
      expect(t.versions).toEqual([]);
    });

    it('refuses a death in the future or before the (new) birth date, writing nothing', async () => {
      const t = createTestService({ records: [record(nhs)] });
      const future = await errorOf(
        t.service.update(actor([]), nhs, 1, { deceasedAt: new Date('2026-11-25T00:00:00Z') }),
      );
      expect(future.details).toEqual([
        expect.objectContaining({ field: 'changes.deceased_at', rule: 'date.future' }),
      ]);
      const beforeBirth = await errorOf(
        t.service.update(actor([]), nhs, 1, {
          birthDate: '2012-01-01',
          deceasedAt: new Date('2011-06-01T00:00:00Z'),
        }),
      );
      expect(beforeBirth.details).toEqual([
        expect.objectContaining({ field: 'changes.deceased_at', rule: 'date.before-birth' }),
      ]);
      expect(t.events).toEqual([]);
      expect(t.records.get(nhs)!.version).toBe(1);
    });
  });
});
