import { randomUUID } from 'node:crypto';

import { isoInstant, pageCursor } from '@trellis/service-kit';

import type { Actor } from '../patients/patient.model';
import { RecordsError, RecordsErrorCode } from './records.errors';
import type { PointerEventSink } from './records.events';
import {
  validateExpectedVersion,
  validateHistoryPageSize,
  validatePointerSearch,
  validateVersion,
  type PointerSearchInput,
} from './records.query';
import {
  isUniqueViolation,
  type PatientFacts,
  type PointerRepository,
  type SearchCursor,
  type StoredPointer,
} from './records.repository';
import {
  draftHash,
  mayViewPointer,
  pointerNotFound,
  requirePointerId,
  validateClientKey,
  validatePointerInput,
  type PointerDraft,
  type PointerInputLike,
} from './records.validation';

export { SEARCH_DEFAULT_PAGE_SIZE, SEARCH_MAX_PAGE_SIZE } from './records.query';

/** One recorded version of a pointer: the pointer as it was, and what made the version. */
export interface PointerAtVersion {
  pointer: StoredPointer;
  change: string;
  recordedAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const CURSOR = pageCursor<SearchCursor>({
  write: (c) => ({ t: c.createdAt.toISOString(), i: c.id }),
  read: (f) =>
    isoInstant(f['t']) && typeof f['i'] === 'string' && UUID.test(f['i'])
      ? { createdAt: new Date(f['t']), id: f['i'] }
      : undefined,
  refuse: (v) => RecordsError.validation([v]),
});

const VERSION_CURSOR = pageCursor<number>({
  write: (v) => ({ v }),
  read: (f) =>
    typeof f['v'] === 'number' && Number.isInteger(f['v']) && f['v'] > 1 ? f['v'] : undefined,
  refuse: (v) => RecordsError.validation([v]),
});

const invalid = (field: string, rule: string, message: string) =>
  RecordsError.validation([{ field, rule, message }]);

type Confidentiality = PatientFacts['confidentiality'];

/**
 * The record locator's rules (NRL's model): custodians register, supersede and retire pointers to
 * the documents they hold; anyone with the read scopes finds a patient's current pointers. The
 * custodian is always the caller's organisation. Every change commits with its event (outbox).
 */
export class RecordLocator {
  constructor(
    private readonly repo: PointerRepository,
    private readonly events: PointerEventSink,
    private readonly clock: () => Date = () => new Date(),
    private readonly newId: () => string = randomUUID,
  ) {}

  async create(
    actor: Actor,
    input: PointerInputLike | undefined,
    rawKey: string | undefined,
    correlationId?: string,
  ): Promise<{ pointer: StoredPointer; replayed: boolean }> {
    const draft = validatePointerInput(input);
    const clientKey = validateClientKey(rawKey);
    const custodian = custodianOf(actor);
    const hash = draftHash(draft);
    const replay = await this.replayOf(this.repo, custodian, clientKey, draft, hash, undefined);
    if (replay) return { pointer: replay, replayed: true };
    const patient = await this.livePatient(draft.nhsNumber, 'pointer.nhs_number');
    try {
      const pointer = await this.repo.inTransaction(async (repo, tx) => {
        const created = await repo.insert({
          id: this.newId(),
          draft,
          custodian,
          clientKey,
          requestHash: hash,
          systemId: actor.systemId,
          now: this.clock(),
        });
        await this.events.emit(
          tx,
          { kind: 'created', pointer: created },
          patient.confidentiality,
          actor,
          correlationId,
        );
        return created;
      });
      return { pointer, replayed: false };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // a concurrent request with the same key or master identifier committed first
      const won = await this.replayOf(this.repo, custodian, clientKey, draft, hash, undefined);
      if (won) return { pointer: won, replayed: true };
      throw err;
    }
  }

  async supersede(
    actor: Actor,
    rawReplacesId: string | undefined,
    input: PointerInputLike | undefined,
    rawKey: string | undefined,
    correlationId?: string,
    rawExpected?: number,
  ): Promise<{ pointer: StoredPointer; superseded: StoredPointer; replayed: boolean }> {
    const replacesId = requirePointerId(rawReplacesId, 'replaces_id');
    const expected = validateExpectedVersion(rawExpected);
    const draft = validatePointerInput(input);
    const clientKey = validateClientKey(rawKey);
    const custodian = custodianOf(actor);
    const hash = draftHash(draft, replacesId);
    const replay = await this.replayOf(this.repo, custodian, clientKey, draft, hash, replacesId);
    if (replay) {
      const old = await this.repo.byId(replacesId);
      if (old) return { pointer: replay, superseded: old, replayed: true };
    }
    const patient = await this.livePatient(draft.nhsNumber, 'pointer.nhs_number');
    try {
      return await this.repo.inTransaction(async (repo, tx) => {
        const old = await repo.lockById(replacesId);
        await this.assertCustodianMayChange(repo, actor, old, replacesId, 'replaces_id', expected);
        if (old!.nhsNumber !== draft.nhsNumber) {
          const was = await repo.patient(old!.nhsNumber);
          if (was?.mergedInto !== draft.nhsNumber)
            throw invalid(
              'pointer.nhs_number',
              'supersede.same-patient',
              `the replacement must point at the same patient as ${replacesId}`,
            );
        }
        const now = this.clock();
        const created = await repo.insert({
          id: this.newId(),
          draft,
          custodian,
          clientKey,
          requestHash: hash,
          replacesId,
          systemId: actor.systemId,
          now,
        });
        const superseded = await repo.setStatus(
          old!,
          'superseded',
          now,
          actor.systemId,
          created.id,
        );
        await this.events.emit(
          tx,
          { kind: 'superseded', pointer: created, supersededId: superseded.id },
          patient.confidentiality,
          actor,
          correlationId,
        );
        return { pointer: created, superseded, replayed: false };
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const won = await this.replayOf(this.repo, custodian, clientKey, draft, hash, replacesId);
      const old = await this.repo.byId(replacesId);
      if (won && old) return { pointer: won, superseded: old, replayed: true };
      throw new RecordsError(
        RecordsErrorCode.PointerNotCurrent,
        `pointer ${replacesId} was superseded by a concurrent request`,
        [{ field: 'replaces_id', rule: 'pointer.not-current', message: 'already superseded' }],
      );
    }
  }

  async delete(
    actor: Actor,
    rawId: string | undefined,
    correlationId?: string,
    rawExpected?: number,
  ): Promise<StoredPointer> {
    const id = requirePointerId(rawId);
    const expected = validateExpectedVersion(rawExpected);
    return this.repo.inTransaction(async (repo, tx) => {
      const current = await repo.lockById(id);
      const confidentiality = await this.assertCustodianMayChange(
        repo,
        actor,
        current,
        id,
        'id',
        expected,
      );
      const deleted = await repo.setStatus(current!, 'deleted', this.clock(), actor.systemId);
      await this.events.emit(
        tx,
        { kind: 'deleted', pointer: deleted },
        confidentiality,
        actor,
        correlationId,
      );
      return deleted;
    });
  }

  async get(actor: Actor, rawId: string | undefined): Promise<StoredPointer> {
    const p = await this.visible(actor, rawId);
    if (p.status === 'deleted') throw deletedError(p.id);
    return p;
  }

  /** One version of a pointer as it was (a deleted pointer's too: its history stays readable). */
  async getVersion(
    actor: Actor,
    rawId: string | undefined,
    rawVersion: number | undefined,
  ): Promise<PointerAtVersion> {
    const p = await this.visible(actor, rawId);
    const version = validateVersion(rawVersion, p.id);
    const v = await this.repo.version(p.id, version);
    if (!v)
      throw new RecordsError(
        RecordsErrorCode.PointerVersionNotFound,
        `pointer ${p.id} has no version ${version}`,
      );
    return atVersion(p, v);
  }

  /** A pointer's versions, newest first, paged with the shared cursor. */
  async listVersions(
    actor: Actor,
    rawId: string | undefined,
    page: { pageSize?: number; pageToken?: string },
  ): Promise<{ versions: PointerAtVersion[]; nextPageToken: string }> {
    const p = await this.visible(actor, rawId);
    const take = validateHistoryPageSize(page.pageSize);
    const scope = { p: p.id };
    const before = VERSION_CURSOR.decode(page.pageToken, scope);
    const rows = await this.repo.versions(p.id, before, take);
    const shown = rows.slice(0, take);
    const last = shown[shown.length - 1];
    return {
      versions: shown.map((v) => atVersion(p, v)),
      nextPageToken: rows.length > take && last ? VERSION_CURSOR.encode(last.version, scope) : '',
    };
  }

  /** A pointer this reader may see, whatever its status; NOT_FOUND otherwise. */
  private async visible(actor: Actor, rawId: string | undefined): Promise<StoredPointer> {
    const id = requirePointerId(rawId);
    const p = await this.repo.byId(id);
    if (!p || !mayViewPointer(actor, p, await this.confidentiality(this.repo, p.nhsNumber)))
      throw pointerNotFound(id);
    return p;
  }

  async search(
    actor: Actor,
    input: PointerSearchInput,
  ): Promise<{ pointers: StoredPointer[]; nextPageToken: string; nhsNumber: string }> {
    const q = validatePointerSearch(input);
    const patient = await this.repo.patient(q.nhsNumber);
    if (!patient) return { pointers: [], nextPageToken: '', nhsNumber: q.nhsNumber };
    const survivor = patient.mergedInto ?? q.nhsNumber;
    const numbers = [survivor, ...(await this.repo.mergedNumbers(survivor))];
    const confidentiality = await this.confidentiality(this.repo, survivor);
    // a restricted patient: a reader who may not see their pointers sees only its own
    const custodianOnly = mayViewPointer(
      actor,
      { custodianOds: '', nhsNumber: survivor },
      confidentiality,
    )
      ? undefined
      : actor.odsCode;
    if (custodianOnly !== undefined && q.custodian !== undefined && q.custodian !== custodianOnly)
      return { pointers: [], nextPageToken: '', nhsNumber: survivor };
    const custodian = custodianOnly ?? q.custodian;
    const scope = {
      n: survivor,
      t: [...q.typeCodes].sort(),
      v: custodianOnly ?? '*',
      c: q.custodian ?? '',
      s: q.statuses,
      f: q.from?.toISOString() ?? '',
      b: q.before?.toISOString() ?? '',
    };
    const after = CURSOR.decode(q.pageToken, scope);
    const rows = await this.repo.search({
      nhsNumbers: numbers,
      typeCodes: q.typeCodes,
      statuses: q.statuses,
      ...(custodian !== undefined ? { custodian } : {}),
      ...(q.from ? { from: q.from } : {}),
      ...(q.before ? { before: q.before } : {}),
      ...(after ? { after } : {}),
      take: q.take,
    });
    const page = rows.slice(0, q.take);
    const last = page[page.length - 1];
    return {
      pointers: page,
      nextPageToken:
        rows.length > q.take && last
          ? CURSOR.encode({ createdAt: last.createdAt, id: last.id }, scope)
          : '',
      nhsNumber: survivor,
    };
  }

  /** The earlier pointer of an idempotent repeat (same content), or a refusal (other content). */
  private async replayOf(
    repo: PointerRepository,
    custodian: string,
    clientKey: string | undefined,
    draft: PointerDraft,
    hash: string,
    replacesId: string | undefined,
  ): Promise<StoredPointer | undefined> {
    const existing = await repo.findReplay(custodian, clientKey, draft);
    if (!existing) return undefined;
    if (existing.requestHash === hash && (existing.replacesId ?? undefined) === replacesId)
      return existing;
    const byKey = clientKey !== undefined && existing.clientKey === clientKey;
    throw new RecordsError(
      RecordsErrorCode.PointerExists,
      byKey
        ? `client key already registered pointer ${existing.id} with other content`
        : `this custodian already registered pointer ${existing.id} for that master identifier`,
      [
        {
          field: byKey ? 'client_key' : 'pointer.master_identifier_value',
          rule: 'pointer.exists',
          message: `already used by pointer ${existing.id}`,
        },
      ],
    );
  }

  /** The patient a new pointer is for: known, and not merged away (register on the survivor). */
  private async livePatient(nhs: string, field: string): Promise<PatientFacts> {
    const patient = await this.repo.patient(nhs);
    if (!patient)
      throw new RecordsError(
        RecordsErrorCode.PatientNotFound,
        `no patient with NHS number ${nhs}`,
        [{ field, rule: 'patient.unknown', message: 'no such patient' }],
      );
    if (patient.mergedInto)
      throw new RecordsError(
        RecordsErrorCode.PatientSuperseded,
        `patient ${nhs} was merged into ${patient.mergedInto}; register the pointer on that number`,
        [{ field, rule: 'patient.superseded', message: `superseded by ${patient.mergedInto}` }],
      );
    return patient;
  }

  /** A patient's confidentiality; a merged-away number's is its survivor's too. */
  private async confidentiality(repo: PointerRepository, nhs: string): Promise<Confidentiality> {
    const p = await repo.patient(nhs);
    if (!p) return 'normal';
    if (p.confidentiality === 'restricted') return 'restricted';
    return p.mergedInto
      ? ((await repo.patient(p.mergedInto))?.confidentiality ?? 'normal')
      : 'normal';
  }

  /** A change of a pointer: it exists (for this reader), is the caller's, and is current. */
  private async assertCustodianMayChange(
    repo: PointerRepository,
    actor: Actor,
    p: StoredPointer | null,
    id: string,
    field = 'replaces_id',
    expected?: number,
  ): Promise<Confidentiality> {
    const custodian = custodianOf(actor);
    if (!p) throw pointerNotFound(id);
    const confidentiality = await this.confidentiality(repo, p.nhsNumber);
    if (!mayViewPointer(actor, p, confidentiality)) throw pointerNotFound(id);
    if (p.status === 'deleted') throw deletedError(id);
    if (p.custodianOds !== custodian)
      throw new RecordsError(
        RecordsErrorCode.NotCustodian,
        `only the custodian (${p.custodianOds}) may change pointer ${id}`,
        [{ field, rule: 'pointer.custodian', message: `custodian is ${p.custodianOds}` }],
      );
    // a change based on a version that is no longer the pointer's (checked under the row lock)
    if (expected !== undefined && expected !== p.version)
      throw new RecordsError(
        RecordsErrorCode.VersionConflict,
        `pointer ${id} is at version ${p.version}, not ${expected} (If-Match is stale)`,
        [
          {
            field: 'expected_version',
            rule: 'version.conflict',
            message: `version is ${p.version}`,
          },
        ],
      );
    if (p.status !== 'current')
      throw new RecordsError(
        RecordsErrorCode.PointerNotCurrent,
        `pointer ${id} is ${p.status}${p.supersededById ? ` by ${p.supersededById}` : ''}`,
        [{ field, rule: 'pointer.not-current', message: `status is ${p.status}` }],
      );
    return confidentiality;
  }
}

/** The organisation a caller registers as: its own (citizens and organisation-less callers may not). */
function custodianOf(actor: Actor): string {
  const ods = actor.odsCode.trim().toUpperCase();
  if (ods === '' || actor.patient)
    throw new RecordsError(
      RecordsErrorCode.NoOrganisation,
      'only an organisation may register or change pointers (the custodian is the caller’s organisation)',
    );
  return ods;
}

function deletedError(id: string): RecordsError {
  return new RecordsError(
    RecordsErrorCode.PointerDeleted,
    `pointer ${id} was deleted by its custodian`,
  );
}

function atVersion(
  p: StoredPointer,
  v: {
    version: number;
    status: string;
    change: string;
    supersededById: string | null;
    recordedAt: Date;
  },
): PointerAtVersion {
  return {
    pointer: {
      ...p,
      version: v.version,
      status: v.status,
      supersededById: v.supersededById,
      updatedAt: v.recordedAt,
    },
    change: v.change,
    recordedAt: v.recordedAt,
  };
}
