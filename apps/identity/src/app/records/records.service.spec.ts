import type { Actor } from '../patients/patient.model';
import type { PointerEvent } from './records.events';
import type {
  NewPointer,
  PatientFacts,
  PointerRepository,
  StoredPointer,
  StoredPointerVersion,
} from './records.repository';
import { RecordLocator } from './records.service';
import type { PointerDraft, PointerInputLike } from './records.validation';

/** In-memory storage with the repository's contract (ordering, status filter, keyset). */
class FakeRepo {
  readonly rows: StoredPointer[] = [];
  readonly history: StoredPointerVersion[] = [];
  readonly patients = new Map<string, PatientFacts>();

  // one unit of work: this same store, no transaction client
  inTransaction = <R>(work: (repo: PointerRepository, tx: object) => Promise<R>) =>
    work(this as unknown as PointerRepository, {});
  patient = (nhs: string) => Promise.resolve(this.patients.get(nhs));
  mergedNumbers = (survivor: string) =>
    Promise.resolve(
      [...this.patients.values()].filter((p) => p.mergedInto === survivor).map((p) => p.nhsNumber),
    );
  byId = (id: string) => Promise.resolve(this.rows.find((r) => r.id === id) ?? null);
  lockById = this.byId;
  findReplay = (custodian: string, key: string | undefined, d: PointerDraft) =>
    Promise.resolve(
      this.rows.find(
        (r) =>
          r.custodianOds === custodian &&
          ((key !== undefined && r.clientKey === key) ||
            (d.masterIdentifierValue !== undefined &&
              r.masterIdentifierValue === d.masterIdentifierValue)),
      ) ?? null,
    );
  insert = (row: NewPointer) => {
    const d = row.draft;
    const stored: StoredPointer = {
      id: row.id,
      version: 1,
      status: 'current',
      nhsNumber: d.nhsNumber,
      typeCode: d.typeCode,
      custodianOds: row.custodian,
      authorOds: null,
      url: d.url,
      contentType: d.contentType,
      size: null,
      hash: null,
      title: null,
      creation: null,
      masterIdentifierSystem: d.masterIdentifierSystem ?? null,
      masterIdentifierValue: d.masterIdentifierValue ?? null,
      clientKey: row.clientKey ?? null,
      requestHash: row.requestHash,
      replacesId: row.replacesId ?? null,
      supersededById: null,
      createdBySystem: row.systemId,
      createdAt: row.now,
      updatedAt: row.now,
    };
    this.rows.push(stored);
    this.record(stored, 'created', row.systemId);
    return Promise.resolve(stored);
  };
  setStatus = (p: StoredPointer, status: string, now: Date, systemId: string, by?: string) => {
    Object.assign(p, { status, version: p.version + 1, updatedAt: now });
    if (by) p.supersededById = by;
    this.record(p, status, systemId);
    return Promise.resolve(p);
  };
  private record(p: StoredPointer, change: string, systemId: string) {
    this.history.push({
      pointerId: p.id,
      version: p.version,
      status: p.status,
      change,
      supersededById: p.supersededById,
      systemId,
      recordedAt: p.updatedAt,
    });
  }
  version = (id: string, v: number) =>
    Promise.resolve(this.history.find((h) => h.pointerId === id && h.version === v) ?? null);
  versions = (id: string, before: number | undefined, take: number) =>
    Promise.resolve(
      this.history
        .filter((h) => h.pointerId === id && (before === undefined || h.version < before))
        .sort((a, b) => b.version - a.version)
        .slice(0, take + 1),
    );
  search = (q: {
    nhsNumbers: string[];
    typeCodes: string[];
    statuses: string[];
    custodian?: string;
    from?: Date;
    before?: Date;
    take: number;
  }) =>
    Promise.resolve(
      this.rows
        .filter(
          (r) =>
            q.nhsNumbers.includes(r.nhsNumber) &&
            q.statuses.includes(r.status) &&
            (q.typeCodes.length === 0 || q.typeCodes.includes(r.typeCode)) &&
            (q.custodian === undefined || r.custodianOds === q.custodian) &&
            (q.from === undefined || r.createdAt >= q.from) &&
            (q.before === undefined || r.createdAt < q.before),
        )
        .reverse()
        .slice(0, q.take + 1),
    );
}

const actor = (odsCode: string, scopes: string[] = []): Actor => ({
  systemId: `sys-${odsCode}`,
  odsCode,
  region: 'north-east',
  scopes: ['system/DocumentReference.cruds', ...scopes],
});
const RR8 = actor('RR8');
const GP = actor('A81001');

const input = (nhs: string, over: Partial<PointerInputLike> = {}): PointerInputLike => ({
  nhsNumber: nhs,
  typeCode: '736253002',
  content: { url: 'https://epr.example.nhs.uk/d/1', contentType: 'application/pdf' },
  ...over,
});

function setup() {
  const repo = new FakeRepo();
  const emitted: Array<{ kind: string; id: string; confidentiality: string }> = [];
  const events = {
    emit: (_tx: unknown, e: PointerEvent, confidentiality: string) => {
      emitted.push({ kind: e.kind, id: e.pointer.id, confidentiality });
      return Promise.resolve();
    },
  };
  let n = 0;
  const locator = new RecordLocator(
    repo as unknown as PointerRepository,
    events as never,
    () => new Date(Date.UTC(2026, 11, 7, 6, 0, n)),
    () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  );
  repo.patients.set('9990000018', { nhsNumber: '9990000018', confidentiality: 'normal' });
  return { repo, emitted, locator };
}

describe('RecordLocator rules', () => {
  it('registers as the caller’s organisation with its event, idempotently on the client key', async () => {
    const { locator, emitted } = setup();
    const a = await locator.create(RR8, input('9990000018'), 'k-1');
    expect(a).toMatchObject({
      replayed: false,
      pointer: { custodianOds: 'RR8', status: 'current' },
    });
    const again = await locator.create(RR8, input('9990000018'), 'k-1');
    expect([again.replayed, again.pointer.id]).toEqual([true, a.pointer.id]);
    await expect(
      locator.create(RR8, input('9990000018', { typeCode: '373942005' }), 'k-1'),
    ).rejects.toMatchObject({ code: 'POINTER_EXISTS', kind: 'ALREADY_EXISTS' });
    // the same key of another organisation is its own
    expect((await locator.create(GP, input('9990000018'), 'k-1')).replayed).toBe(false);
    expect(emitted.map((e) => e.kind)).toEqual(['created', 'created']);
  });

  it('refuses unknown and merged-away patients and organisation-less callers', async () => {
    const { locator, repo } = setup();
    repo.patients.set('9990000026', {
      nhsNumber: '9990000026',
      confidentiality: 'normal',
      mergedInto: '9990000018',
    });
    await expect(locator.create(RR8, input('9990000034'), undefined)).rejects.toMatchObject({
      code: 'PATIENT_NOT_FOUND',
      kind: 'FAILED_PRECONDITION',
    });
    await expect(locator.create(RR8, input('9990000026'), undefined)).rejects.toMatchObject({
      code: 'PATIENT_SUPERSEDED',
    });
    await expect(
      locator.create(
        { ...RR8, odsCode: '', patient: '9990000018' },
        input('9990000018'),
        undefined,
      ),
    ).rejects.toMatchObject({ code: 'NO_ORGANISATION', kind: 'PERMISSION_DENIED' });
  });

  it('lets only the custodian supersede or delete, and only a current pointer', async () => {
    const { locator, emitted } = setup();
    const { pointer } = await locator.create(RR8, input('9990000018'), undefined);
    await expect(
      locator.supersede(GP, pointer.id, input('9990000018'), undefined),
    ).rejects.toMatchObject({ code: 'NOT_CUSTODIAN', kind: 'PERMISSION_DENIED' });
    await expect(locator.delete(GP, pointer.id)).rejects.toMatchObject({ code: 'NOT_CUSTODIAN' });
    const v2 = await locator.supersede(RR8, pointer.id, input('9990000018'), undefined);
    expect(v2.pointer.replacesId).toBe(pointer.id);
    expect(v2.superseded).toMatchObject({
      status: 'superseded',
      version: 2,
      supersededById: v2.pointer.id,
    });
    await expect(
      locator.supersede(RR8, pointer.id, input('9990000018'), undefined),
    ).rejects.toMatchObject({ code: 'POINTER_NOT_CURRENT', kind: 'FAILED_PRECONDITION' });
    await expect(locator.delete(RR8, pointer.id)).rejects.toMatchObject({
      code: 'POINTER_NOT_CURRENT',
    });
    await locator.delete(RR8, v2.pointer.id);
    await expect(locator.get(GP, v2.pointer.id)).rejects.toMatchObject({ code: 'POINTER_DELETED' });
    expect(emitted.map((e) => e.kind)).toEqual(['created', 'superseded', 'deleted']);
  });

  it('keeps a replacement on the same patient', async () => {
    const { locator, repo } = setup();
    repo.patients.set('9990000026', { nhsNumber: '9990000026', confidentiality: 'normal' });
    const { pointer } = await locator.create(RR8, input('9990000018'), undefined);
    await expect(
      locator.supersede(RR8, pointer.id, input('9990000026'), undefined),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it("withholds a restricted patient's pointers except from their custodian and restricted readers", async () => {
    const { locator, repo, emitted } = setup();
    repo.patients.set('9990000018', { nhsNumber: '9990000018', confidentiality: 'restricted' });
    const { pointer } = await locator.create(RR8, input('9990000018'), undefined);
    expect(emitted[0]?.confidentiality).toBe('restricted');
    expect((await locator.search(GP, { nhsNumber: '9990000018' })).pointers).toEqual([]);
    await expect(locator.get(GP, pointer.id)).rejects.toMatchObject({ code: 'POINTER_NOT_FOUND' });
    expect((await locator.search(RR8, { nhsNumber: '9990000018' })).pointers).toHaveLength(1);
    const reader = actor('A81001', ['trellis/restricted.read']);
    expect((await locator.get(reader, pointer.id)).id).toBe(pointer.id);
  });

  it('answers a merged-away number with the survivor’s pointers, by type, paged', async () => {
    const { locator, repo } = setup();
    repo.patients.set('9990000026', {
      nhsNumber: '9990000026',
      confidentiality: 'normal',
      mergedInto: '9990000018',
    });
    const plan = await locator.create(RR8, input('9990000018'), undefined);
    repo.rows.push({ ...plan.pointer, id: 'old', nhsNumber: '9990000026', typeCode: '373942005' });
    const all = await locator.search(GP, { nhsNumber: '9990000026' });
    expect([all.nhsNumber, all.pointers.map((p) => p.id)]).toEqual([
      '9990000018',
      ['old', plan.pointer.id],
    ]);
    const page = await locator.search(GP, { nhsNumber: '9990000018', pageSize: 1 });
    expect([page.pointers.length, page.nextPageToken !== '']).toEqual([1, true]);
    await expect(
      locator.search(GP, { nhsNumber: '9990000034', pageToken: page.nextPageToken }),
    ).resolves.toMatchObject({ pointers: [] }); // unknown patient: nothing, whatever the token
    await expect(
      locator.search(GP, {
        nhsNumber: '9990000018',
        typeCodes: ['373942005'],
        pageToken: page.nextPageToken,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' }); // another query's token
    await expect(
      locator.search(GP, { nhsNumber: '123', typeCodes: ['1'], pageSize: 999 }),
    ).rejects.toMatchObject({
      details: [{ field: 'nhs_number' }, { field: 'type_codes[0]' }, { field: 'page.page_size' }],
    });
  });

  it('keeps every version of a pointer and refuses a change based on a stale one', async () => {
    const { locator } = setup();
    const { pointer } = await locator.create(RR8, input('9990000018'), undefined);
    await expect(
      locator.supersede(RR8, pointer.id, input('9990000018'), undefined, undefined, 2),
    ).rejects.toMatchObject({ code: 'VERSION_CONFLICT', kind: 'ABORTED' });
    const next = await locator.supersede(RR8, pointer.id, input('9990000018'), 'k', undefined, 1);
    await expect(locator.delete(RR8, next.pointer.id, undefined, 2)).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
    });
    await locator.delete(RR8, next.pointer.id, undefined, 1);
    const old = await locator.listVersions(GP, pointer.id, {});
    expect(old.versions.map((v) => [v.pointer.version, v.pointer.status, v.change])).toEqual([
      [2, 'superseded', 'superseded'],
      [1, 'current', 'created'],
    ]);
    // a deleted pointer's versions stay readable, page by page
    const first = await locator.listVersions(GP, next.pointer.id, { pageSize: 1 });
    expect(first.versions.map((v) => v.pointer.status)).toEqual(['deleted']);
    const rest = await locator.listVersions(GP, next.pointer.id, {
      pageToken: first.nextPageToken,
    });
    expect([rest.versions.map((v) => v.pointer.version), rest.nextPageToken]).toEqual([[1], '']);
    await expect(
      locator.listVersions(GP, pointer.id, { pageToken: first.nextPageToken }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' }); // another pointer's token
    expect((await locator.getVersion(GP, pointer.id, 1)).pointer.status).toBe('current');
    await expect(locator.getVersion(GP, pointer.id, 3)).rejects.toMatchObject({
      code: 'POINTER_VERSION_NOT_FOUND',
      kind: 'NOT_FOUND',
    });
    await expect(locator.getVersion(GP, pointer.id, -1)).rejects.toMatchObject({
      kind: 'NOT_FOUND',
    });
  });

  it('narrows a search by custodian, status and registration date', async () => {
    const { locator } = setup();
    const a = await locator.create(RR8, input('9990000018'), undefined); // 06:00:01
    const b = await locator.create(GP, input('9990000018'), undefined); // 06:00:03
    await locator.delete(GP, b.pointer.id);
    const ids = async (q: Parameters<RecordLocator['search']>[1]) =>
      (await locator.search(GP, { nhsNumber: '9990000018', ...q })).pointers.map((p) => p.id);
    expect(await ids({})).toEqual([a.pointer.id]);
    expect(await ids({ statuses: ['deleted', 'current'] })).toEqual([b.pointer.id, a.pointer.id]);
    expect(await ids({ statuses: ['deleted'], custodianOdsCode: 'rr8' })).toEqual([]);
    expect(await ids({ statuses: ['deleted'], custodianOdsCode: 'A81001' })).toEqual([
      b.pointer.id,
    ]);
    const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 6, 0, s));
    expect(await ids({ statuses: ['current', 'deleted'], dateFrom: at(2) })).toEqual([
      b.pointer.id,
    ]);
    expect(await ids({ statuses: ['current', 'deleted'], dateBefore: at(2) })).toEqual([
      a.pointer.id,
    ]);
  });
});
