import { scopeSatisfies } from '@trellis/auth';
import { NhsNumberAllocator, NhsNumberRangeExhaustedError } from '@trellis/nhs-number';
import type { PatientEventSink } from '../../events/patient-events';
import { regionOf } from '../reference/ods-regions';
import { registrationKey, registrationLockKeys } from './normalise';
import {
  Actor,
  PatientChanges,
  PatientDetails,
  PatientRecord,
  PatientVersionEntry,
  PatientView,
  TraceCandidate,
  TraceQuery,
  viewFor,
} from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import { Db, PatientsRepository } from './patients.repository';
import { assertRestrictedChangeAllowed, visibleMatchReasons } from './restricted';
import {
  requireNhsNumber,
  today,
  TRACE_MAX_RESULTS,
  validateChanges,
  validateDetails,
  validateTrace,
} from './patients.validation';

export const SCOPE_RESTRICTED_READ = 'trellis/restricted.read';
export const SCOPE_PATIENT_SEARCH = 'system/Patient.s';

export interface IdentityRules {
  /** A registration whose best candidate scores at least this is refused as a duplicate. */
  duplicateThreshold: number;
  /** Default minimum score of a trace hit. */
  traceMinScore: number;
  /** Default cap of trace hits. */
  traceDefaultMaxResults: number;
  /** Fuzzy trace drops hits scoring more than this below the best hit (duplicate checks keep all). */
  traceDominanceMargin: number;
}

export const DEFAULT_RULES: IdentityRules = {
  duplicateThreshold: 0.85,
  traceMinScore: 0.8,
  traceDefaultMaxResults: 10,
  traceDominanceMargin: 0.1,
};

/** The transaction runner (PrismaClient.$transaction) the service needs. */
export interface TransactionRunner {
  $transaction<R>(
    fn: (tx: Db) => Promise<R>,
    options?: { maxWait?: number; timeout?: number },
  ): Promise<R>;
}

/**
 * Writes an extra access-audit record in the caller's transaction (the libs/auth AccessAuditor):
 * used for duplicate overrides, so the override itself — not just the call — is on the audit stream.
 */
export type OverrideAudit = (
  tx: Db,
  entry: { actor: Actor; nhsNumber: string; reason: string; overridden: string[] },
) => Promise<void>;

export interface Hit {
  patient: PatientView;
  score: number;
  matchedOn: string[];
}

export interface RegisterResult {
  patient: PatientView;
  overridden: Hit[];
}

const TX = { maxWait: 30_000, timeout: 30_000 };

function hasScope(actor: Actor, scope: string): boolean {
  return scopeSatisfies(actor.scopes, scope);
}

export class PatientsService {
  constructor(
    private readonly db: Db & TransactionRunner,
    private readonly repo: PatientsRepository,
    private readonly allocator: NhsNumberAllocator,
    private readonly events: PatientEventSink,
    private readonly rules: IdentityRules = DEFAULT_RULES,
    private readonly clock: () => Date = () => new Date(),
    private readonly auditOverride?: OverrideAudit,
  ) {}

  private mayReadRestricted(actor: Actor): boolean {
    return hasScope(actor, SCOPE_RESTRICTED_READ);
  }

  private view(actor: Actor, record: PatientRecord): PatientView {
    // restricted-record rules protect the patient from third parties, not from themself
    return viewFor(record, this.mayReadRestricted(actor) || actor.patient === record.nhsNumber);
  }

  async register(
    actor: Actor,
    input: Parameters<typeof validateDetails>[0],
    override: { flag: boolean; reason: string },
    correlationId?: string,
  ): Promise<RegisterResult> {
    const now = this.clock();
    const details = validateDetailsWithOverride(input, override, today(now));
    const current = details.names.find(
      (n) => !n.period?.end && n.use !== 'old' && n.use !== 'maiden',
    )!;
    const home = details.addresses.find((a) => !a.period?.end && a.use !== 'old');
    const gpRegion = details.gpOdsCode ? regionOf(details.gpOdsCode)! : undefined;
    const query: TraceQuery = {
      family: current.family,
      given: current.given[0] ?? '',
      gender: details.gender,
      birthDate: details.birthDate,
      ...(home ? { postcode: home.postcode } : {}),
      mode: 'fuzzy',
      maxResults: 10,
      minScore: this.rules.duplicateThreshold,
      // the refusal names candidates with scores: a restricted one's address must not count
      maskRestricted: !this.mayReadRestricted(actor),
    };
    const created = await this.db.$transaction(async (tx) => {
      // Registrations that could be the same person serialise here, so the duplicate check below
      // sees every committed competitor: 50 concurrent registrations → one created.
      await this.repo.lockRegistrationKeys(tx, registrationLockKeys(details.birthDate));
      const dupes = await this.repo.trace(tx, query);
      if (dupes.candidates.length > 0 && !override.flag) {
        const hits = await this.hits(tx, actor, dupes.candidates);
        throw new IdentityError(
          IdentityErrorCode.DuplicatePatient,
          dupes.candidates.length === 1
            ? 'a likely matching patient already exists (single match); set override_duplicates with a reason to register anyway'
            : `${dupes.candidates.length} likely matching patients already exist (multiple match); set override_duplicates with a reason to register anyway`,
          [],
          { match: dupes.candidates.length === 1 ? 'single-match' : 'multiple-match' },
          {
            match: dupes.candidates.length === 1 ? 'single-match' : 'multiple-match',
            threshold: this.rules.duplicateThreshold,
            candidates: hits.map((h) => ({
              nhsNumber: h.patient.nhsNumber,
              score: h.score,
              matchedOn: h.matchedOn,
            })),
          },
          // the candidates' views travel with the error for the controller
        ).withHits(hits);
      }
      let nhsNumber: string;
      try {
        nhsNumber = await this.allocator.allocate(tx);
      } catch (err) {
        if (err instanceof NhsNumberRangeExhaustedError) {
          throw new IdentityError(
            IdentityErrorCode.NumberRangeExhausted,
            'the NHS number allocation range is exhausted',
          );
        }
        throw err;
      }
      const gpStart = details.gpStart || today(now);
      await this.repo.insertPatient(
        tx,
        {
          nhsNumber,
          names: details.names,
          gender: details.gender,
          birthDate: details.birthDate,
          addresses: details.addresses,
          telecom: details.telecom,
          ...(details.gpOdsCode
            ? {
                gp: {
                  odsCode: details.gpOdsCode.toUpperCase(),
                  region: gpRegion!,
                  period: { start: gpStart },
                },
              }
            : {}),
          confidentiality: details.confidentiality,
          registrationKey: registrationKey(
            current.family,
            current.given,
            details.birthDate,
            details.gender,
          ),
          duplicateOverride: override.flag && dupes.candidates.length > 0,
        },
        now,
      );
      const record = (await this.repo.find(tx, nhsNumber))!;
      const overridden = override.flag ? dupes.candidates.map((c) => c.nhsNumber) : [];
      await this.repo.appendVersion(
        tx,
        record,
        {
          change: 'registered',
          changedFields: [],
          changedBy: actor.systemId,
          changedByOds: actor.odsCode,
          ...(overridden.length > 0
            ? { reason: override.reason, overriddenCandidates: overridden }
            : {}),
        },
        now,
      );
      await this.events.emit(
        tx,
        {
          kind: 'registered',
          record,
          override: overridden.length > 0,
          overridden,
          reason: overridden.length > 0 ? override.reason : '',
        },
        actor,
        correlationId,
      );
      if (overridden.length > 0 && this.auditOverride) {
        await this.auditOverride(tx, { actor, nhsNumber, reason: override.reason, overridden });
      }
      const overriddenHits =
        overridden.length > 0 ? await this.hits(tx, actor, dupes.candidates) : [];
      return { record, overriddenHits };
    }, TX);
    return { patient: this.view(actor, created.record), overridden: created.overriddenHits };
  }

  /** Reads by NHS number; a merged number answers with the survivor. */
  async get(
    actor: Actor,
    nhsInput: string,
  ): Promise<{ patient: PatientView; superseded: boolean; requested: string }> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    const record = await this.repo.find(this.db, nhs);
    if (!record) throw notFound(nhs, 'nhs_number');
    if (record.mergedInto) {
      const survivor = await this.repo.find(this.db, record.mergedInto);
      if (!survivor) throw notFound(record.mergedInto, 'nhs_number');
      return { patient: this.view(actor, survivor), superseded: true, requested: nhs };
    }
    return { patient: this.view(actor, record), superseded: false, requested: nhs };
  }

  async trace(
    actor: Actor,
    input: Omit<TraceQuery, 'maxResults' | 'minScore'> & { maxResults?: number; minScore?: number },
    singleMatchRequested: boolean,
  ): Promise<{ hits: Hit[]; singleMatch: boolean; totalAboveThreshold: number }> {
    const query: TraceQuery = {
      ...input,
      maxResults: input.maxResults || this.rules.traceDefaultMaxResults,
      minScore: input.minScore || this.rules.traceMinScore,
      dominanceMargin: input.mode === 'exact' ? 1 : this.rules.traceDominanceMargin,
      maskRestricted: !this.mayReadRestricted(actor),
    };
    validateTrace({ ...query, maxResults: input.maxResults ?? 0 });
    const singleMatch = singleMatchRequested || !hasScope(actor, SCOPE_PATIENT_SEARCH);
    const result = await this.repo.trace(
      this.db,
      singleMatch ? { ...query, maxResults: 2 } : query,
    );
    let candidates = result.candidates;
    if (singleMatch) candidates = result.totalAboveThreshold === 1 ? candidates.slice(0, 1) : [];
    const hits = await this.hits(
      this.db,
      actor,
      candidates.slice(0, Math.min(query.maxResults, TRACE_MAX_RESULTS)),
    );
    return { hits, singleMatch, totalAboveThreshold: result.totalAboveThreshold };
  }

  private async hits(db: Db, actor: Actor, candidates: TraceCandidate[]): Promise<Hit[]> {
    const records = await this.repo.findMany(
      db,
      candidates.map((c) => c.nhsNumber),
    );
    return candidates
      .filter((c) => records.has(c.nhsNumber))
      .map((c) => {
        const patient = this.view(actor, records.get(c.nhsNumber)!);
        return {
          patient,
          score: c.score,
          matchedOn: visibleMatchReasons(c.matchedOn, patient.withheld),
        };
      });
  }

  async update(
    actor: Actor,
    nhsInput: string,
    expectedVersion: number,
    changes: PatientChanges,
    correlationId?: string,
  ): Promise<{ patient: PatientView; changedFields: string[] }> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    const now = this.clock();
    requireExpectedVersion(expectedVersion, 'expected_version');
    validateChanges(changes, 'changes', today(now));
    if (changes.deceasedAt) validateDeathTime(changes.deceasedAt, now, 'changes.deceased_at');
    return this.db.$transaction(async (tx) => {
      const current = await this.loadLive(tx, nhs);
      checkVersion(current, expectedVersion, 'expected_version');
      const death = changes.deceasedAt && newDeath(current, changes.deceasedAt);
      const changed = changedFields(current, changes);
      if (changed.length === 0 && !death)
        return { patient: this.view(actor, current), changedFields: [] };
      assertRestrictedChangeAllowed(current, changes, changed, this.mayReadRestricted(actor));
      return this.commit(tx, actor, current, expectedVersion, {
        changes,
        changed,
        ...(death ? { death: { at: death, field: 'changes.deceased_at' } } : {}),
        now,
        ...(correlationId ? { correlationId } : {}),
      });
    }, TX);
  }

  async markDeceased(
    actor: Actor,
    nhsInput: string,
    expectedVersion: number,
    deceasedAt: Date | undefined,
    correlationId?: string,
  ): Promise<PatientView> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    const now = this.clock();
    requireExpectedVersion(expectedVersion, 'expected_version');
    validateDeathTime(deceasedAt, now, 'deceased_at');
    return this.db.$transaction(async (tx) => {
      const current = await this.loadLive(tx, nhs);
      if (current.deceasedAt) {
        throw new IdentityError(
          IdentityErrorCode.AlreadyDeceased,
          `patient ${nhs} is already recorded as deceased`,
          [{ field: 'nhs_number', rule: 'patient.deceased', message: 'already deceased' }],
        );
      }
      checkVersion(current, expectedVersion, 'expected_version');
      const r = await this.commit(tx, actor, current, expectedVersion, {
        changes: {},
        changed: [],
        death: { at: deceasedAt, field: 'deceased_at' },
        now,
        ...(correlationId ? { correlationId } : {}),
      });
      return r.patient;
    }, TX);
  }

  /**
   * The one write path of UpdatePatient and MarkDeceased: applies the demographic changes and/or
   * the death at expectedVersion + 1, appends one history version ("deceased" when a death is
   * recorded) and emits, in the same transaction, PatientUpdated (demographics changed),
   * PatientGpChanged (practice changed) and PatientDeceased (death recorded), in that order.
   */
  private async commit(
    tx: Db,
    actor: Actor,
    current: PatientRecord,
    expectedVersion: number,
    c: {
      changes: PatientChanges;
      changed: string[];
      death?: { at: Date; field: string };
      now: Date;
      correlationId?: string;
    },
  ): Promise<{ patient: PatientView; changedFields: string[] }> {
    const { changes, changed, death, now, correlationId } = c;
    const nhs = current.nhsNumber;
    const birthDate = changes.birthDate ?? current.birthDate;
    if (death && death.at.toISOString().slice(0, 10) < birthDate) {
      throw IdentityError.validation([
        {
          field: death.field,
          rule: 'date.before-birth',
          message: 'must not be before the birth date',
        },
      ]);
    }
    const won = await this.repo.bumpVersion(tx, nhs, expectedVersion, now, {
      ...(changes.gender ? { gender: changes.gender } : {}),
      ...(changes.birthDate ? { birthDate: new Date(`${changes.birthDate}T00:00:00Z`) } : {}),
      ...(changes.confidentiality ? { confidentiality: changes.confidentiality } : {}),
      ...(death ? { deceasedAt: death.at } : {}),
    });
    if (!won) {
      const latest = await this.repo.find(tx, nhs);
      throw conflict(nhs, expectedVersion, latest?.version ?? current.version, 'expected_version');
    }
    if (changes.names) await this.repo.writeNames(tx, nhs, changes.names, birthDate);
    else if (changes.birthDate) await this.repo.setBirthDateOnNames(tx, nhs, birthDate);
    if (changes.addresses) await this.repo.writeAddresses(tx, nhs, changes.addresses);
    if (changes.telecom) await this.repo.writeTelecom(tx, nhs, changes.telecom);
    const gpChanged = changed.includes('gp');
    if (gpChanged) {
      const ods = changes.gp!.odsCode.trim().toUpperCase();
      await this.repo.changeGp(
        tx,
        nhs,
        ods ? { odsCode: ods, region: regionOf(ods)!, period: {} } : undefined,
        changes.gp!.start || today(now),
      );
    }
    const record = (await this.repo.find(tx, nhs))!;
    const allChanged = death ? [...changed, 'deceased_at'] : changed;
    await this.repo.appendVersion(
      tx,
      record,
      {
        change: death ? 'deceased' : 'updated',
        changedFields: allChanged,
        changedBy: actor.systemId,
        changedByOds: actor.odsCode,
      },
      now,
    );
    if (changed.length > 0) {
      await this.events.emit(
        tx,
        { kind: 'updated', record, changedFields: changed },
        actor,
        correlationId,
      );
    }
    if (gpChanged) {
      await this.events.emit(
        tx,
        {
          kind: 'gp-changed',
          record,
          previousOds: current.gp?.odsCode ?? '',
          previousRegion: current.gp?.region ?? '',
          effectiveDate: changes.gp!.start || today(now),
        },
        actor,
        correlationId,
      );
    }
    if (death) await this.events.emit(tx, { kind: 'deceased', record }, actor, correlationId);
    return { patient: this.view(actor, record), changedFields: allChanged };
  }

  async merge(
    actor: Actor,
    input: {
      superseded: string;
      survivor: string;
      expectedSupersededVersion: number;
      expectedSurvivorVersion: number;
      reason: string;
    },
    correlationId?: string,
  ): Promise<PatientView> {
    const superseded = requireNhsNumber(input.superseded, 'superseded_nhs_number');
    const survivor = requireNhsNumber(input.survivor, 'survivor_nhs_number');
    if (superseded === survivor) {
      throw new IdentityError(
        IdentityErrorCode.MergeIntoSelf,
        'a patient cannot be merged into itself',
        [
          {
            field: 'survivor_nhs_number',
            rule: 'merge.self',
            message: 'must differ from superseded_nhs_number',
          },
        ],
      );
    }
    if (input.reason.length > 500) {
      throw IdentityError.validation([
        { field: 'reason', rule: 'max-length', message: 'must be at most 500 characters' },
      ]);
    }
    const now = this.clock();
    return this.db.$transaction(async (tx) => {
      // lock both rows in a fixed order so concurrent merges cannot deadlock
      for (const n of [superseded, survivor].sort()) await this.repo.lockRow(tx, n);
      const source = await this.repo.find(tx, superseded);
      if (!source) throw notFound(superseded, 'superseded_nhs_number');
      const target = await this.repo.find(tx, survivor);
      if (!target) throw notFound(survivor, 'survivor_nhs_number');
      if (source.mergedInto) {
        throw new IdentityError(
          IdentityErrorCode.MergeSourceMerged,
          `patient ${superseded} was already merged into ${source.mergedInto}`,
          [
            {
              field: 'superseded_nhs_number',
              rule: 'merge.source-merged',
              message: `already merged into ${source.mergedInto}`,
            },
          ],
          { survivor: source.mergedInto },
        );
      }
      if (target.mergedInto) {
        throw new IdentityError(
          IdentityErrorCode.MergeIntoMerged,
          `patient ${survivor} was merged into ${target.mergedInto}`,
          [
            {
              field: 'survivor_nhs_number',
              rule: 'merge.target-merged',
              message: `merged into ${target.mergedInto}; merge into that record`,
            },
          ],
          { survivor: target.mergedInto },
        );
      }
      if (target.deceasedAt) {
        throw new IdentityError(
          IdentityErrorCode.MergeIntoDeceased,
          `patient ${survivor} is deceased`,
          [
            {
              field: 'survivor_nhs_number',
              rule: 'merge.target-deceased',
              message: 'cannot merge into a deceased patient',
            },
          ],
        );
      }
      if (input.expectedSupersededVersion)
        checkVersion(source, input.expectedSupersededVersion, 'expected_superseded_version');
      if (input.expectedSurvivorVersion)
        checkVersion(target, input.expectedSurvivorVersion, 'expected_survivor_version');
      // the same person: a restriction on either record protects the survivor too
      const inheritsRestriction =
        source.confidentiality === 'restricted' && target.confidentiality !== 'restricted';
      await this.repo.markMerged(tx, superseded, survivor, source.version, now);
      await this.repo.bumpVersion(
        tx,
        survivor,
        target.version,
        now,
        inheritsRestriction ? { confidentiality: 'restricted' } : {},
      );
      const retired = (await this.repo.find(tx, superseded))!;
      const merged = (await this.repo.find(tx, survivor))!;
      const meta = {
        changedBy: actor.systemId,
        changedByOds: actor.odsCode,
        ...(input.reason ? { reason: input.reason } : {}),
      };
      await this.repo.appendVersion(
        tx,
        retired,
        { ...meta, change: 'merged-into', changedFields: ['merged_into'] },
        now,
      );
      await this.repo.appendVersion(
        tx,
        merged,
        {
          ...meta,
          change: 'merged-from',
          changedFields: inheritsRestriction
            ? ['superseded_nhs_numbers', 'confidentiality']
            : ['superseded_nhs_numbers'],
        },
        now,
      );
      await this.events.emit(
        tx,
        { kind: 'merged', survivor: merged, superseded, supersededVersion: retired.version },
        actor,
        correlationId,
      );
      return this.view(actor, merged);
    }, TX);
  }

  async history(
    actor: Actor,
    nhsInput: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{
    versions: Array<PatientVersionEntry & { view: PatientView }>;
    nextPageToken: string;
  }> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    if (pageSize < 0 || pageSize > 500) {
      throw IdentityError.validation([
        { field: 'page.page_size', rule: 'range', message: 'must be between 0 and 500' },
      ]);
    }
    const size = pageSize || 50;
    const offset = decodePageToken(pageToken, nhs);
    const { survivor, numbers } = await this.lineage(nhs);
    const rows = await this.repo.history(this.db, numbers, offset, size + 1);
    const page = rows.slice(0, size);
    return {
      versions: page.map((v) => ({ ...v, view: this.versionView(actor, survivor, v) })),
      nextPageToken: rows.length > size ? encodePageToken(offset + size, nhs) : '',
    };
  }

  async version(
    actor: Actor,
    nhsInput: string,
    version: number,
  ): Promise<PatientVersionEntry & { view: PatientView }> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    if (!Number.isInteger(version) || version < 1) {
      throw IdentityError.validation([
        { field: 'version', rule: 'range', message: 'must be a positive version number' },
      ]);
    }
    const { survivor, numbers } = await this.lineage(nhs);
    const entry = await this.repo.version(this.db, numbers, version, nhs);
    if (!entry) {
      throw new IdentityError(
        IdentityErrorCode.VersionNotFound,
        `patient ${nhs} has no version ${version}`,
        [{ field: 'version', rule: 'version.unknown', message: 'no such version' }],
      );
    }
    return { ...entry, view: this.versionView(actor, survivor, entry) };
  }

  /**
   * A historic snapshot is withheld if the record is restricted now or was then: the address a
   * patient had before the restriction is usually the one the restriction protects.
   */
  private versionView(actor: Actor, now: PatientRecord, v: PatientVersionEntry): PatientView {
    const restricted =
      now.confidentiality === 'restricted' ? 'restricted' : v.snapshot.confidentiality;
    const view = viewFor(
      { ...v.snapshot, confidentiality: restricted },
      this.mayReadRestricted(actor),
    );
    return { ...view, confidentiality: v.snapshot.confidentiality };
  }

  /** The surviving record of a number plus every number merged into it. */
  private async lineage(nhs: string): Promise<{ survivor: PatientRecord; numbers: string[] }> {
    const record = await this.repo.find(this.db, nhs);
    if (!record) throw notFound(nhs, 'nhs_number');
    const survivor = record.mergedInto ? await this.repo.find(this.db, record.mergedInto) : record;
    if (!survivor) throw notFound(nhs, 'nhs_number');
    return { survivor, numbers: [survivor.nhsNumber, ...survivor.supersededNhsNumbers] };
  }

  private async loadLive(tx: Db, nhs: string): Promise<PatientRecord> {
    const record = await this.repo.find(tx, nhs);
    if (!record) throw notFound(nhs, 'nhs_number');
    if (record.mergedInto) {
      throw new IdentityError(
        IdentityErrorCode.PatientSuperseded,
        `patient ${nhs} was merged into ${record.mergedInto}; change that record`,
        [
          {
            field: 'nhs_number',
            rule: 'patient.superseded',
            message: `superseded by ${record.mergedInto}`,
          },
        ],
        { survivor: record.mergedInto },
      );
    }
    return record;
  }
}

function validateDetailsWithOverride(
  input: Parameters<typeof validateDetails>[0],
  override: { flag: boolean; reason: string },
  now: string,
): PatientDetails {
  let problems: IdentityError | undefined;
  let details: PatientDetails | undefined;
  try {
    details = validateDetails(input, 'patient', now);
  } catch (err) {
    if (!(err instanceof IdentityError)) throw err;
    problems = err;
  }
  const extra =
    override.flag && override.reason.trim() === ''
      ? [
          {
            field: 'override_reason',
            rule: 'required',
            message: 'is required when override_duplicates is set',
          },
        ]
      : override.reason.length > 500
        ? [
            {
              field: 'override_reason',
              rule: 'max-length',
              message: 'must be at most 500 characters',
            },
          ]
        : [];
  if (problems || extra.length > 0)
    throw IdentityError.validation([...(problems?.violations ?? []), ...extra]);
  return details!;
}

function requireExpectedVersion(v: number, field: string): void {
  if (!Number.isInteger(v) || v < 1) {
    throw IdentityError.validation([
      { field, rule: 'required', message: 'the version you read is required (If-Match)' },
    ]);
  }
}

/** A death's own rules (MarkDeceased and UpdatePatient): present, a real instant, not in the future. */
function validateDeathTime(
  deceasedAt: Date | undefined,
  now: Date,
  field: string,
): asserts deceasedAt is Date {
  if (!deceasedAt || Number.isNaN(deceasedAt.getTime())) {
    throw IdentityError.validation([{ field, rule: 'required', message: 'is required' }]);
  }
  if (deceasedAt.getTime() > now.getTime() + 60_000) {
    throw IdentityError.validation([
      { field, rule: 'date.future', message: 'must not be in the future' },
    ]);
  }
}

/**
 * The death an update records: the given one when none is recorded; undefined when the same
 * instant is already recorded (a no-op). A different instant is refused: an update does not
 * correct a death.
 */
function newDeath(current: PatientRecord, deceasedAt: Date): Date | undefined {
  if (!current.deceasedAt) return deceasedAt;
  if (current.deceasedAt.getTime() === deceasedAt.getTime()) return undefined;
  throw new IdentityError(
    IdentityErrorCode.AlreadyDeceased,
    `patient ${current.nhsNumber} is already recorded as deceased at ${current.deceasedAt.toISOString()}; corrections of a death are a separate process`,
    [
      {
        field: 'changes.deceased_at',
        rule: 'patient.deceased',
        message: `already recorded as deceased at ${current.deceasedAt.toISOString()}; corrections of a death are a separate process`,
      },
    ],
  );
}

function checkVersion(current: PatientRecord, expected: number, field: string): void {
  if (current.version !== expected)
    throw conflict(current.nhsNumber, expected, current.version, field);
}

function conflict(
  nhs: string,
  expected: number,
  currentVersion: number,
  field: string,
): IdentityError {
  return new IdentityError(
    IdentityErrorCode.VersionConflict,
    `patient ${nhs} is at version ${currentVersion}, not ${expected}: re-read and retry`,
    [{ field, rule: 'version.stale', message: `current version is ${currentVersion}` }],
    { current_version: String(currentVersion), expected_version: String(expected) },
  );
}

function notFound(nhs: string, field: string): IdentityError {
  return new IdentityError(IdentityErrorCode.PatientNotFound, `no patient with NHS number ${nhs}`, [
    { field, rule: 'patient.unknown', message: 'no such patient' },
  ]);
}

/** Order-insensitive for object keys, blind to undefined members. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, stable(v)]),
    );
  }
  return value;
}
const same = (a: unknown, b: unknown) => JSON.stringify(stable(a)) === JSON.stringify(stable(b));

/** Which top-level fields the changes really alter (a no-op change is not a change). */
export function changedFields(current: PatientRecord, ch: PatientChanges): string[] {
  const out: string[] = [];
  if (ch.names && !same(ch.names, current.names)) out.push('names');
  if (ch.gender && ch.gender !== current.gender) out.push('gender');
  if (ch.birthDate && ch.birthDate !== current.birthDate) out.push('birth_date');
  if (ch.addresses && !same(ch.addresses, current.addresses)) out.push('addresses');
  if (ch.telecom && !same(ch.telecom, current.telecom)) out.push('telecom');
  if (ch.gp && ch.gp.odsCode.trim().toUpperCase() !== (current.gp?.odsCode ?? '')) out.push('gp');
  if (ch.confidentiality && ch.confidentiality !== current.confidentiality)
    out.push('confidentiality');
  return out;
}

function encodePageToken(offset: number, nhs: string): string {
  return Buffer.from(JSON.stringify({ o: offset, n: nhs })).toString('base64url');
}

function decodePageToken(token: string, nhs: string): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      o?: unknown;
      n?: unknown;
    };
    if (
      typeof parsed.o === 'number' &&
      Number.isInteger(parsed.o) &&
      parsed.o >= 0 &&
      parsed.n === nhs
    )
      return parsed.o;
  } catch {
    // fall through
  }
  throw IdentityError.validation([
    {
      field: 'page.page_token',
      rule: 'page-token.invalid',
      message: 'is not a token from this history',
    },
  ]);
}
