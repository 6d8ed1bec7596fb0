import { NhsNumberAllocator, NhsNumberRangeExhaustedError } from '@trellis/nhs-number';
import type { PatientEvent, PatientEventSink } from '../../events/patient-events';
import { regionOf } from '../reference/ods-regions';
import { registrationKey, registrationLockKeys } from './normalise';
import type { Actor, PatientDetails, PatientRecord, TraceQuery } from './patient.model';
import type { VersionMeta } from './patient-sql.repository';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import { type OverrideAudit, type PatientSupport, type RegisterResult } from './patients.support';
import { today, validateDetails } from './patients.validation';

/** Registration of a new patient: the duplicate check, the NHS number, the first version and event. */
export class PatientRegistration {
  constructor(
    private readonly s: PatientSupport,
    private readonly allocator: NhsNumberAllocator,
    private readonly events: PatientEventSink,
    private readonly auditOverride?: OverrideAudit,
  ) {}

  async register(
    actor: Actor,
    input: Parameters<typeof validateDetails>[0],
    override: { flag: boolean; reason: string },
    correlationId?: string,
  ): Promise<RegisterResult> {
    const now = this.s.clock();
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
      minScore: this.s.rules.duplicateThreshold,
      // the refusal names candidates with scores: a restricted one's address must not count
      maskRestricted: !this.s.mayReadRestricted(actor),
    };
    // Registrations that could be the same person serialise on these keys, locked as the
    // transaction opens, so the duplicate check below sees every committed competitor: 50
    // concurrent registrations → one created.
    const lockKeys = registrationLockKeys(details.birthDate);
    const created = await this.s.repo.inRegistrationTransaction(lockKeys, async (repo, tx) => {
      // a named statement: registration's duplicate queries take a handful of shapes
      const dupes = await repo.trace(query, 'identity_duplicate_check');
      if (dupes.candidates.length > 0 && !override.flag) {
        const hits = await this.s.hits(repo, actor, dupes.candidates);
        throw new IdentityError(
          IdentityErrorCode.DuplicatePatient,
          dupes.candidates.length === 1
            ? 'a likely matching patient already exists (single match); set override_duplicates with a reason to register anyway'
            : `${dupes.candidates.length} likely matching patients already exist (multiple match); set override_duplicates with a reason to register anyway`,
          [],
          { match: dupes.candidates.length === 1 ? 'single-match' : 'multiple-match' },
          {
            match: dupes.candidates.length === 1 ? 'single-match' : 'multiple-match',
            threshold: this.s.rules.duplicateThreshold,
            candidates: hits.map((h) => ({
              nhsNumber: h.patient.nhsNumber,
              score: h.score,
              matchedOn: h.matchedOn,
            })),
          },
          // the candidates' views travel with the error for the controller
        ).withHits(hits);
      }
      const gpStart = details.gpStart || today(now);
      const overridden = override.flag ? dupes.candidates.map((c) => c.nhsNumber) : [];
      const patient = {
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
      };
      // the first history entry, in the insert's statement
      const first: VersionMeta = {
        change: 'registered',
        changedFields: [],
        changedBy: actor.systemId,
        changedByOds: actor.odsCode,
        ...(overridden.length > 0
          ? { reason: override.reason, overriddenCandidates: overridden }
          : {}),
      };
      // the number drawn ahead (in blocks), so the insert writes the patient, its first version
      // and its event in one statement (docs/performance.md, "Hot paths: create, fourth pass")
      const nhsNumber = await this.allocate(tx);
      const registered = (record: PatientRecord): PatientEvent => ({
        kind: 'registered',
        record,
        override: overridden.length > 0,
        overridden,
        reason: overridden.length > 0 ? override.reason : '',
      });
      const rowOf = this.events.rowOf?.bind(this.events);
      const record = await repo.insertPatient(
        { ...patient, nhsNumber },
        now,
        first,
        rowOf && ((r) => rowOf(registered(r), actor, correlationId)),
      );
      if (!rowOf) await this.events.emit(tx, registered(record), actor, correlationId);
      if (overridden.length > 0 && this.auditOverride) {
        await this.auditOverride(tx, { actor, nhsNumber, reason: override.reason, overridden });
      }
      const overriddenHits =
        overridden.length > 0 ? await this.s.hits(repo, actor, dupes.candidates) : [];
      return { record, overriddenHits };
    });
    return { patient: this.s.view(actor, created.record), overridden: created.overriddenHits };
  }

  private async allocate(tx: Parameters<NhsNumberAllocator['allocateAhead']>[0]): Promise<string> {
    try {
      return await this.allocator.allocateAhead(tx);
    } catch (err) {
      if (err instanceof NhsNumberRangeExhaustedError) {
        throw new IdentityError(
          IdentityErrorCode.NumberRangeExhausted,
          'the NHS number allocation range is exhausted',
        );
      }
      throw err;
    }
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
