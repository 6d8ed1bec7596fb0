import type { PatientEvent, PatientEventSink } from '../../events/patient-events';
import { InMemoryPatients, testActor, testRecord } from './in-memory-patients';
import type { PatientRecord } from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import { PatientLifecycle } from './patients.lifecycle';
import type { PatientsRepository } from './patients.repository';
import { PatientSupport } from './patients.support';

const NOW = new Date('2026-11-24T09:00:00Z');
const SUPERSEDED = '9990000034';
const SURVIVOR = '9990000026';

const actor = testActor;
const PRACTICE = { odsCode: 'A81001', region: 'north-east', period: { start: '2015-01-01' } };

/** A record registered with a practice (the GP change needs one to end). */
const record = (nhsNumber: string, over: Partial<PatientRecord> = {}) =>
  testRecord(nhsNumber, { gp: PRACTICE, gpHistory: [PRACTICE], ...over });

/** The lifecycle rules over the in-memory repository: no database, no transaction client. */
function createTestLifecycle(records: PatientRecord[]) {
  const store = new InMemoryPatients(records);
  const events: PatientEvent[] = [];
  const sink: PatientEventSink = { emit: async (_tx, e) => void events.push(e) };
  const support = new PatientSupport(store as unknown as PatientsRepository, undefined, () => NOW);
  return { lifecycle: new PatientLifecycle(support, sink), store, events };
}

const mergeInput = (over: Partial<Parameters<PatientLifecycle['merge']>[1]> = {}) => ({
  superseded: SUPERSEDED,
  survivor: SURVIVOR,
  expectedSupersededVersion: 1,
  expectedSurvivorVersion: 1,
  reason: 'same person',
  ...over,
});

async function errorOf(p: Promise<unknown>): Promise<IdentityError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof IdentityError) return err;
  throw new Error(`expected an IdentityError, got ${String(err)}`);
}

describe('PatientLifecycle.merge', () => {
  it('retires the superseded record into the survivor: both versions, one PatientMerged, rows locked in order', async () => {
    const t = createTestLifecycle([record(SURVIVOR), record(SUPERSEDED)]);
    const view = await t.lifecycle.merge(actor(), mergeInput(), 'corr-1');
    expect(view).toMatchObject({ nhsNumber: SURVIVOR, version: 2 });
    expect(view.supersededNhsNumbers).toEqual([SUPERSEDED]);
    expect(t.store.locks).toEqual([SUPERSEDED, SURVIVOR].sort());
    expect(t.store.records.get(SUPERSEDED)).toMatchObject({ mergedInto: SURVIVOR, version: 2 });
    expect(
      t.store.appended.map((a) => [a.record.nhsNumber, a.meta.change, a.meta.changedFields]),
    ).toEqual([
      [SUPERSEDED, 'merged-into', ['merged_into']],
      [SURVIVOR, 'merged-from', ['superseded_nhs_numbers']],
    ]);
    expect(t.store.appended.every((a) => a.meta.reason === 'same person')).toBe(true);
    expect(t.events).toEqual([
      expect.objectContaining({ kind: 'merged', superseded: SUPERSEDED, supersededVersion: 2 }),
    ]);
    expect(t.store.transactions).toBe(1);
  });

  it('a restriction on the superseded record protects the survivor too', async () => {
    const t = createTestLifecycle([
      record(SURVIVOR),
      record(SUPERSEDED, { confidentiality: 'restricted' }),
    ]);
    const view = await t.lifecycle.merge(actor(['trellis/restricted.read']), mergeInput());
    expect(view.confidentiality).toBe('restricted');
    expect(t.store.appended[1]!.meta.changedFields).toEqual([
      'superseded_nhs_numbers',
      'confidentiality',
    ]);
  });

  it.each([
    [
      'an unknown superseded number',
      [record(SURVIVOR)],
      {},
      IdentityErrorCode.PatientNotFound,
      'superseded_nhs_number',
    ],
    [
      'an unknown survivor',
      [record(SUPERSEDED)],
      {},
      IdentityErrorCode.PatientNotFound,
      'survivor_nhs_number',
    ],
    [
      'a superseded record merged already',
      [record(SURVIVOR), record(SUPERSEDED, { mergedInto: '9990000042' })],
      {},
      IdentityErrorCode.MergeSourceMerged,
      'superseded_nhs_number',
    ],
    [
      'a survivor merged away',
      [record(SUPERSEDED), record(SURVIVOR, { mergedInto: '9990000042' })],
      {},
      IdentityErrorCode.MergeIntoMerged,
      'survivor_nhs_number',
    ],
    [
      'a deceased survivor',
      [record(SUPERSEDED), record(SURVIVOR, { deceasedAt: new Date('2026-01-02T00:00:00Z') })],
      {},
      IdentityErrorCode.MergeIntoDeceased,
      'survivor_nhs_number',
    ],
    [
      'a stale superseded version',
      [record(SURVIVOR), record(SUPERSEDED, { version: 3 })],
      {},
      IdentityErrorCode.VersionConflict,
      'expected_superseded_version',
    ],
    [
      'a stale survivor version',
      [record(SUPERSEDED), record(SURVIVOR)],
      { expectedSurvivorVersion: 2 },
      IdentityErrorCode.VersionConflict,
      'expected_survivor_version',
    ],
  ] as const)('refuses %s, writing nothing', async (_case, records, over, code, field) => {
    const t = createTestLifecycle([...records]);
    const err = await errorOf(t.lifecycle.merge(actor(), mergeInput(over)));
    expect(err.code).toBe(code);
    expect(err.details.map((d) => d.field)).toEqual([field]);
    expect(t.store.appended).toEqual([]);
    expect(t.events).toEqual([]);
  });

  it('names the survivor of a record merged already, so the caller can retarget', async () => {
    const t = createTestLifecycle([
      record(SURVIVOR),
      record(SUPERSEDED, { mergedInto: '9990000042' }),
    ]);
    const err = await errorOf(t.lifecycle.merge(actor(), mergeInput()));
    expect(err.metadata).toEqual({ survivor: '9990000042' });
  });

  it('refuses an over-long reason before opening a transaction', async () => {
    const t = createTestLifecycle([record(SURVIVOR), record(SUPERSEDED)]);
    const err = await errorOf(t.lifecycle.merge(actor(), mergeInput({ reason: 'x'.repeat(501) })));
    expect(err.details).toEqual([expect.objectContaining({ field: 'reason', rule: 'max-length' })]);
    expect(t.store.transactions).toBe(0);
  });
});

describe('PatientLifecycle.markDeceased', () => {
  const died = new Date('2026-11-20T14:05:00Z');

  it('refuses a patient already recorded as deceased, writing nothing', async () => {
    const t = createTestLifecycle([record(SURVIVOR, { deceasedAt: died })]);
    const err = await errorOf(t.lifecycle.markDeceased(actor(), SURVIVOR, 1, died));
    expect(err).toMatchObject({
      code: IdentityErrorCode.AlreadyDeceased,
      kind: 'FAILED_PRECONDITION',
    });
    expect(t.store.appended).toEqual([]);
    expect(t.events).toEqual([]);
  });

  it('refuses a merged-away record, naming its survivor', async () => {
    const t = createTestLifecycle([record(SUPERSEDED, { mergedInto: SURVIVOR }), record(SURVIVOR)]);
    const err = await errorOf(t.lifecycle.markDeceased(actor(), SUPERSEDED, 1, died));
    expect(err).toMatchObject({
      code: IdentityErrorCode.PatientSuperseded,
      metadata: { survivor: SURVIVOR },
    });
  });

  it('refuses an unknown number as not found', async () => {
    const t = createTestLifecycle([]);
    const err = await errorOf(t.lifecycle.markDeceased(actor(), SURVIVOR, 1, died));
    expect(err).toMatchObject({ code: IdentityErrorCode.PatientNotFound, kind: 'NOT_FOUND' });
  });
});

describe('PatientLifecycle.update', () => {
  it('a practice change ends the old registration and emits PatientUpdated then PatientGpChanged', async () => {
    const t = createTestLifecycle([record(SURVIVOR)]);
    const r = await t.lifecycle.update(actor(), SURVIVOR, 1, { gp: { odsCode: ' b82005 ' } });
    expect(r.changedFields).toEqual(['gp']);
    expect(r.patient.gp).toEqual({
      odsCode: 'B82005',
      region: 'yorkshire',
      period: { start: '2026-11-24' },
    });
    expect(t.events.map((e) => e.kind)).toEqual(['updated', 'gp-changed']);
    expect(t.events[1]).toMatchObject({
      previousOds: 'A81001',
      previousRegion: 'north-east',
      effectiveDate: '2026-11-24',
    });
    expect(t.store.appended.map((a) => a.meta.change)).toEqual(['updated']);
  });

  it('a change that changes nothing writes no version and emits nothing', async () => {
    const t = createTestLifecycle([record(SURVIVOR)]);
    const r = await t.lifecycle.update(actor(), SURVIVOR, 1, { gender: 'male' });
    expect(r).toMatchObject({ changedFields: [], patient: { version: 1 } });
    expect(t.store.appended).toEqual([]);
    expect(t.events).toEqual([]);
  });

  it('refuses an address change to a restricted record without trellis/restricted.read', async () => {
    const t = createTestLifecycle([record(SURVIVOR, { confidentiality: 'restricted' })]);
    const err = await errorOf(
      t.lifecycle.update(actor(), SURVIVOR, 1, {
        addresses: [
          { use: 'home', lines: ['1 Mill Lane'], city: 'Leeds', district: '', postcode: 'LS1 4AP' },
        ],
      }),
    );
    expect(err).toMatchObject({
      code: IdentityErrorCode.RestrictedScopeRequired,
      kind: 'PERMISSION_DENIED',
    });
    expect(t.store.records.get(SURVIVOR)!.version).toBe(1);
    expect(t.events).toEqual([]);
  });

  it('a writer that lost the compare-and-set gets the version that won', async () => {
    const t = createTestLifecycle([record(SURVIVOR)]);
    const bump = t.store.bumpVersion.bind(t.store);
    // another writer commits version 2 between this update's read and its write
    t.store.bumpVersion = async (nhs, expected, now, change) => {
      await bump(nhs, expected, now);
      return bump(nhs, expected, now, change);
    };
    const err = await errorOf(t.lifecycle.update(actor(), SURVIVOR, 1, { gender: 'female' }));
    expect(err).toMatchObject({
      code: IdentityErrorCode.VersionConflict,
      metadata: { current_version: '2', expected_version: '1' },
    });
    expect(t.events).toEqual([]);
  });
});
