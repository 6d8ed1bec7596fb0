import type { NhsNumberAllocator } from '@trellis/nhs-number';
import type { PatientEventSink } from '../../events/patient-events';
import type {
  Actor,
  PatientChanges,
  PatientVersionEntry,
  PatientView,
  TraceQuery,
} from './patient.model';
import type { Db, PatientsRepository } from './patients.repository';
import { PatientHistory } from './patients.history';
import { PatientLifecycle } from './patients.lifecycle';
import { PatientRegistration } from './patients.registration';
import {
  DEFAULT_RULES,
  type Hit,
  type IdentityRules,
  type OverrideAudit,
  PatientSupport,
  type RegisterResult,
  type TransactionRunner,
} from './patients.support';
import { PatientTrace } from './patients.trace';
import type { validateDetails } from './patients.validation';

export { changedFields } from './patients.lifecycle';
export {
  DEFAULT_RULES,
  type Hit,
  type IdentityRules,
  type OverrideAudit,
  type RegisterResult,
  SCOPE_PATIENT_SEARCH,
  SCOPE_RESTRICTED_READ,
  type TransactionRunner,
} from './patients.support';

/**
 * The identity rules over patients, one entry point over its responsibilities: registration,
 * trace (and reads by number), lifecycle (update, death, merge) and history.
 */
export class PatientsService {
  private readonly registration: PatientRegistration;
  private readonly tracing: PatientTrace;
  private readonly lifecycle: PatientLifecycle;
  private readonly versions: PatientHistory;

  constructor(
    db: Db & TransactionRunner,
    repo: PatientsRepository,
    allocator: NhsNumberAllocator,
    events: PatientEventSink,
    rules: IdentityRules = DEFAULT_RULES,
    clock: () => Date = () => new Date(),
    auditOverride?: OverrideAudit,
  ) {
    const support = new PatientSupport(db, repo, rules, clock);
    this.registration = new PatientRegistration(support, allocator, events, auditOverride);
    this.tracing = new PatientTrace(support);
    this.lifecycle = new PatientLifecycle(support, events);
    this.versions = new PatientHistory(support);
  }

  register(
    actor: Actor,
    input: Parameters<typeof validateDetails>[0],
    override: { flag: boolean; reason: string },
    correlationId?: string,
  ): Promise<RegisterResult> {
    return this.registration.register(actor, input, override, correlationId);
  }

  get(
    actor: Actor,
    nhsInput: string,
  ): Promise<{ patient: PatientView; superseded: boolean; requested: string }> {
    return this.tracing.get(actor, nhsInput);
  }

  trace(
    actor: Actor,
    input: Omit<TraceQuery, 'maxResults' | 'minScore'> & { maxResults?: number; minScore?: number },
    singleMatchRequested: boolean,
  ): Promise<{ hits: Hit[]; singleMatch: boolean; totalAboveThreshold: number }> {
    return this.tracing.trace(actor, input, singleMatchRequested);
  }

  update(
    actor: Actor,
    nhsInput: string,
    expectedVersion: number,
    changes: PatientChanges,
    correlationId?: string,
  ): Promise<{ patient: PatientView; changedFields: string[] }> {
    return this.lifecycle.update(actor, nhsInput, expectedVersion, changes, correlationId);
  }

  markDeceased(
    actor: Actor,
    nhsInput: string,
    expectedVersion: number,
    deceasedAt: Date | undefined,
    correlationId?: string,
  ): Promise<PatientView> {
    return this.lifecycle.markDeceased(actor, nhsInput, expectedVersion, deceasedAt, correlationId);
  }

  merge(
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
    return this.lifecycle.merge(actor, input, correlationId);
  }

  history(
    actor: Actor,
    nhsInput: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{
    versions: Array<PatientVersionEntry & { view: PatientView }>;
    nextPageToken: string;
  }> {
    return this.versions.history(actor, nhsInput, pageSize, pageToken);
  }

  version(
    actor: Actor,
    nhsInput: string,
    version: number,
  ): Promise<PatientVersionEntry & { view: PatientView }> {
    return this.versions.version(actor, nhsInput, version);
  }
}
