import { scopeSatisfies } from '@trellis/auth';
import type { RawSql } from '@trellis/database';
import {
  type Actor,
  type PatientRecord,
  type PatientView,
  type TraceCandidate,
  viewFor,
} from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import type { PatientSqlRepository } from './patient-sql.repository';
import type { PatientsRepository } from './patients.repository';
import { visibleMatchReasons } from './restricted';

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

/**
 * Writes an extra access-audit record in the caller's transaction (the libs/auth AccessAuditor):
 * used for duplicate overrides, so the override itself — not just the call — is on the audit stream.
 */
export type OverrideAudit = (
  tx: RawSql,
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

export function hasScope(actor: Actor, scope: string): boolean {
  return scopeSatisfies(actor.scopes, scope);
}

/**
 * What the patient responsibilities (registration, trace, lifecycle, history) share: the
 * repository (which opens every transaction), the rules, the clock, the restricted-record view of
 * a record, trace hits and loading a live (unmerged) record.
 */
export class PatientSupport {
  constructor(
    readonly repo: PatientsRepository,
    readonly rules: IdentityRules = DEFAULT_RULES,
    readonly clock: () => Date = () => new Date(),
  ) {}

  mayReadRestricted(actor: Actor): boolean {
    return hasScope(actor, SCOPE_RESTRICTED_READ);
  }

  view(actor: Actor, record: PatientRecord): PatientView {
    // restricted-record rules protect the patient from third parties, not from themself
    return viewFor(record, this.mayReadRestricted(actor) || actor.patient === record.nhsNumber);
  }

  /** `repo`: the unit of work's repository (registration) or the service's own (trace). */
  async hits(
    repo: PatientSqlRepository,
    actor: Actor,
    candidates: TraceCandidate[],
  ): Promise<Hit[]> {
    const records = await repo.findMany(candidates.map((c) => c.nhsNumber));
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

  async loadLive(repo: PatientSqlRepository, nhs: string): Promise<PatientRecord> {
    const record = await repo.find(nhs);
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

export function requireExpectedVersion(v: number, field: string): void {
  if (!Number.isInteger(v) || v < 1) {
    throw IdentityError.validation([
      { field, rule: 'required', message: 'the version you read is required (If-Match)' },
    ]);
  }
}

export function checkVersion(current: PatientRecord, expected: number, field: string): void {
  if (current.version !== expected)
    throw conflict(current.nhsNumber, expected, current.version, field);
}

export function conflict(
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

export function notFound(nhs: string, field: string): IdentityError {
  return new IdentityError(IdentityErrorCode.PatientNotFound, `no patient with NHS number ${nhs}`, [
    { field, rule: 'patient.unknown', message: 'no such patient' },
  ]);
}
