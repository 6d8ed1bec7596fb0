import { type NhsNumberAllocator, NhsNumberRangeExhaustedError } from '@trellis/nhs-number';
import type { PatientEvent, PatientEventSink } from '../../events/patient-events';
import type { EventRow } from './record.sql';
import { InMemoryPatients, TEST_DETAILS, testActor, testRecord } from './in-memory-patients';
import { registrationLockKeys } from './normalise';
import type { TraceResult } from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import { PatientRegistration } from './patients.registration';
import type { PatientsRepository } from './patients.repository';
import { type OverrideAudit, PatientSupport } from './patients.support';

const NOW = new Date('2026-11-24T09:00:00Z');
const CANDIDATE = '9990000026';
const ALLOCATED = '9990000018';

const actor = testActor();

/** Registered with a practice, its ODS code in lower case (stored upper case). */
const details = { ...TEST_DETAILS, gpOdsCode: 'b82005' };

const candidate = testRecord(CANDIDATE);

/** Registration over the in-memory repository: the rules and what they write, no SQL. */
function createTestRegistration(
  opts: { trace?: TraceResult; exhausted?: boolean; rows?: boolean } = {},
) {
  const store = new InMemoryPatients([candidate], opts.trace);
  const allocated: string[] = [];
  const events: PatientEvent[] = [];
  const audits: Array<Parameters<OverrideAudit>[1]> = [];
  const sink: PatientEventSink = {
    emit: async (_tx, e) => void events.push(e),
    // a sink whose rows the insert writes: the event is returned as the row's payload
    ...(opts.rows
      ? {
          rowOf: (e: PatientEvent) => {
            events.push(e);
            return { id: `row-${events.length}` } as EventRow;
          },
        }
      : {}),
  };
  const allocator = {
    allocateAhead: () => {
      allocated.push(ALLOCATED);
      return opts.exhausted
        ? Promise.reject(new NhsNumberRangeExhaustedError('test'))
        : Promise.resolve(ALLOCATED);
    },
  } as unknown as NhsNumberAllocator;
  const support = new PatientSupport(store as unknown as PatientsRepository, undefined, () => NOW);
  const registration = new PatientRegistration(support, allocator, sink, async (_tx, entry) => {
    audits.push(entry);
  });
  return { registration, store, events, audits, allocated };
}

const oneCandidate: TraceResult = {
  candidates: [{ nhsNumber: CANDIDATE, score: 0.9, matchedOn: ['family:exact'] }],
  totalAboveThreshold: 1,
};

describe('PatientRegistration', () => {
  it('registers in one unit of work: keys locked, number allocated, version 1 and PatientRegistered', async () => {
    const t = createTestRegistration();
    const r = await t.registration.register(actor, details, { flag: false, reason: '' });
    expect(r.patient).toMatchObject({ nhsNumber: ALLOCATED, version: 1 });
    expect(r.patient.gp).toEqual({
      odsCode: 'B82005',
      region: 'yorkshire',
      period: { start: '2026-11-24' },
    });
    expect(r.overridden).toEqual([]);
    expect(t.store.transactions).toBe(1);
    expect(t.store.locks).toEqual(registrationLockKeys('2010-05-20'));
    expect(t.store.appended.map((a) => [a.record.nhsNumber, a.meta])).toEqual([
      [
        ALLOCATED,
        { change: 'registered', changedFields: [], changedBy: 'sys-1', changedByOds: 'A81001' },
      ],
    ]);
    expect(t.events).toEqual([
      expect.objectContaining({ kind: 'registered', override: false, overridden: [], reason: '' }),
    ]);
    expect(t.audits).toEqual([]);
  });

  it('writes the event with the insert when the sink gives its row', async () => {
    const t = createTestRegistration({ rows: true });
    const r = await t.registration.register(actor, details, { flag: false, reason: '' });
    expect(r.patient).toMatchObject({ nhsNumber: ALLOCATED, version: 1 });
    expect(t.store.outboxRows).toEqual([{ id: 'row-1' }]);
    expect(t.events).toEqual([
      expect.objectContaining({
        kind: 'registered',
        record: expect.objectContaining({ nhsNumber: ALLOCATED, version: 1 }),
      }),
    ]);
  });

  it('an override with a reason registers anyway: reason and candidates on version 1, the event and the audit', async () => {
    const t = createTestRegistration({ trace: oneCandidate });
    const r = await t.registration.register(actor, details, {
      flag: true,
      reason: 'twins, checked at the desk',
    });
    expect(r.overridden.map((h) => h.patient.nhsNumber)).toEqual([CANDIDATE]);
    expect(t.store.appended[0]!.meta).toMatchObject({
      reason: 'twins, checked at the desk',
      overriddenCandidates: [CANDIDATE],
    });
    expect(t.events).toEqual([
      expect.objectContaining({ kind: 'registered', override: true, overridden: [CANDIDATE] }),
    ]);
    expect(t.audits).toEqual([
      {
        actor,
        nhsNumber: ALLOCATED,
        reason: 'twins, checked at the desk',
        overridden: [CANDIDATE],
      },
    ]);
  });

  it('an exhausted number range is RESOURCE_EXHAUSTED, writing nothing', async () => {
    const t = createTestRegistration({ exhausted: true });
    const err = await t.registration.register(actor, details, { flag: false, reason: '' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IdentityError);
    expect(err).toMatchObject({ code: IdentityErrorCode.NumberRangeExhausted });
    expect(t.store.appended).toEqual([]);
    expect(t.events).toEqual([]);
  });

  it('refuses an over-long override reason with the other problems, before opening a transaction', async () => {
    const t = createTestRegistration();
    const err = await t.registration
      .register(
        actor,
        { ...details, birthDate: 'not a date' },
        { flag: true, reason: 'x'.repeat(501) },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(IdentityError);
    expect((err as IdentityError).details.map((d) => d.field)).toEqual(
      expect.arrayContaining(['override_reason']),
    );
    expect((err as IdentityError).details.length).toBeGreaterThan(1);
    expect(t.store.transactions).toBe(0);
  });
});
