import type { RawSql } from '@trellis/database';
import type { PatientEventSink } from '../../events/patient-events';
import { regionOf } from '../reference/ods-regions';
import type { Actor, PatientChanges, PatientRecord, PatientView } from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import type { PatientsRepository } from './patients.repository';
import {
  checkVersion,
  conflict,
  notFound,
  type PatientSupport,
  requireExpectedVersion,
} from './patients.support';
import { assertRestrictedChangeAllowed } from './restricted';
import { requireNhsNumber, today, validateChanges } from './patients.validation';

/** A registered patient's life: demographic updates, death and merge, each with its version and events. */
export class PatientLifecycle {
  constructor(
    private readonly s: PatientSupport,
    private readonly events: PatientEventSink,
  ) {}

  async update(
    actor: Actor,
    nhsInput: string,
    expectedVersion: number,
    changes: PatientChanges,
    correlationId?: string,
  ): Promise<{ patient: PatientView; changedFields: string[] }> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    const now = this.s.clock();
    requireExpectedVersion(expectedVersion, 'expected_version');
    validateChanges(changes, 'changes', today(now));
    if (changes.deceasedAt) validateDeathTime(changes.deceasedAt, now, 'changes.deceased_at');
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = await this.s.loadLive(repo, nhs);
      checkVersion(current, expectedVersion, 'expected_version');
      const death = changes.deceasedAt && newDeath(current, changes.deceasedAt);
      const changed = changedFields(current, changes);
      if (changed.length === 0 && !death)
        return { patient: this.s.view(actor, current), changedFields: [] };
      assertRestrictedChangeAllowed(current, changes, changed, this.s.mayReadRestricted(actor));
      return this.commit(repo, tx, actor, current, expectedVersion, {
        changes,
        changed,
        ...(death ? { death: { at: death, field: 'changes.deceased_at' } } : {}),
        now,
        ...(correlationId ? { correlationId } : {}),
      });
    });
  }

  async markDeceased(
    actor: Actor,
    nhsInput: string,
    expectedVersion: number,
    deceasedAt: Date | undefined,
    correlationId?: string,
  ): Promise<PatientView> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    const now = this.s.clock();
    requireExpectedVersion(expectedVersion, 'expected_version');
    validateDeathTime(deceasedAt, now, 'deceased_at');
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = await this.s.loadLive(repo, nhs);
      if (current.deceasedAt) {
        throw new IdentityError(
          IdentityErrorCode.AlreadyDeceased,
          `patient ${nhs} is already recorded as deceased`,
          [{ field: 'nhs_number', rule: 'patient.deceased', message: 'already deceased' }],
        );
      }
      checkVersion(current, expectedVersion, 'expected_version');
      const r = await this.commit(repo, tx, actor, current, expectedVersion, {
        changes: {},
        changed: [],
        death: { at: deceasedAt, field: 'deceased_at' },
        now,
        ...(correlationId ? { correlationId } : {}),
      });
      return r.patient;
    });
  }

  /**
   * The one write path of UpdatePatient and MarkDeceased: applies the demographic changes and/or
   * the death at expectedVersion + 1, appends one history version ("deceased" when a death is
   * recorded) and emits, in the same transaction, PatientUpdated (demographics changed),
   * PatientGpChanged (practice changed) and PatientDeceased (death recorded), in that order.
   */
  private async commit(
    repo: PatientsRepository,
    tx: RawSql,
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
    const won = await repo.bumpVersion(nhs, expectedVersion, now, {
      ...(changes.gender ? { gender: changes.gender } : {}),
      ...(changes.birthDate ? { birthDate: changes.birthDate } : {}),
      ...(changes.confidentiality ? { confidentiality: changes.confidentiality } : {}),
      ...(death ? { deceasedAt: death.at } : {}),
    });
    if (!won) {
      const latest = await repo.find(nhs);
      throw conflict(nhs, expectedVersion, latest?.version ?? current.version, 'expected_version');
    }
    if (changes.names) await repo.writeNames(nhs, changes.names, birthDate);
    else if (changes.birthDate) await repo.setBirthDateOnNames(nhs, birthDate);
    if (changes.addresses) await repo.writeAddresses(nhs, changes.addresses);
    if (changes.telecom) await repo.writeTelecom(nhs, changes.telecom);
    const gpChanged = changed.includes('gp');
    if (gpChanged) {
      const ods = changes.gp!.odsCode.trim().toUpperCase();
      await repo.changeGp(
        nhs,
        ods ? { odsCode: ods, region: regionOf(ods)!, period: {} } : undefined,
        changes.gp!.start || today(now),
      );
    }
    const record = (await repo.find(nhs))!;
    const allChanged = death ? [...changed, 'deceased_at'] : changed;
    await repo.appendVersion(
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
    return { patient: this.s.view(actor, record), changedFields: allChanged };
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
    const now = this.s.clock();
    return this.s.repo.inTransaction(async (repo, tx) => {
      // lock both rows in a fixed order so concurrent merges cannot deadlock
      for (const n of [superseded, survivor].sort()) await repo.lockRow(n);
      const source = await repo.find(superseded);
      if (!source) throw notFound(superseded, 'superseded_nhs_number');
      const target = await repo.find(survivor);
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
      await repo.markMerged(superseded, survivor, source.version, now);
      await repo.bumpVersion(
        survivor,
        target.version,
        now,
        inheritsRestriction ? { confidentiality: 'restricted' } : {},
      );
      const retired = (await repo.find(superseded))!;
      const merged = (await repo.find(survivor))!;
      const meta = {
        changedBy: actor.systemId,
        changedByOds: actor.odsCode,
        ...(input.reason ? { reason: input.reason } : {}),
      };
      await repo.appendVersion(
        retired,
        { ...meta, change: 'merged-into', changedFields: ['merged_into'] },
        now,
      );
      await repo.appendVersion(
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
      return this.s.view(actor, merged);
    });
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
