import type { NhsNumberAllocator } from '@trellis/nhs-number';
import type { PatientEventSink } from '../../events/patient-events';
import type { PatientsRepository } from './patients.repository';
import { PatientHistory } from './patients.history';
import { PatientLifecycle } from './patients.lifecycle';
import { PatientListing } from './patients.listing';
import { PatientRegistration } from './patients.registration';
import {
  DEFAULT_RULES,
  type IdentityRules,
  type OverrideAudit,
  PatientSupport,
} from './patients.support';
import { PatientTrace } from './patients.trace';

export { changedFields } from './patients.lifecycle';
export {
  DEFAULT_RULES,
  type Hit,
  type IdentityRules,
  type OverrideAudit,
  type RegisterResult,
  SCOPE_PATIENT_SEARCH,
  SCOPE_RESTRICTED_READ,
} from './patients.support';

/**
 * The identity rules over patients, one entry point over its responsibilities: registration,
 * trace (and reads by number), lifecycle (update, death, merge) and history.
 */
export class PatientsService {
  readonly register: PatientRegistration['register'];
  readonly get: PatientTrace['get'];
  readonly trace: PatientTrace['trace'];
  readonly update: PatientLifecycle['update'];
  readonly markDeceased: PatientLifecycle['markDeceased'];
  readonly merge: PatientLifecycle['merge'];
  readonly history: PatientHistory['history'];
  readonly version: PatientHistory['version'];
  readonly list: PatientListing['list'];

  constructor(
    repo: PatientsRepository,
    allocator: NhsNumberAllocator,
    events: PatientEventSink,
    rules: IdentityRules = DEFAULT_RULES,
    clock: () => Date = () => new Date(),
    auditOverride?: OverrideAudit,
  ) {
    const support = new PatientSupport(repo, rules, clock);
    const registration = new PatientRegistration(support, allocator, events, auditOverride);
    const tracing = new PatientTrace(support);
    const lifecycle = new PatientLifecycle(support, events);
    const versions = new PatientHistory(support);
    this.register = registration.register.bind(registration);
    this.get = tracing.get.bind(tracing);
    this.trace = tracing.trace.bind(tracing);
    this.update = lifecycle.update.bind(lifecycle);
    this.markDeceased = lifecycle.markDeceased.bind(lifecycle);
    this.merge = lifecycle.merge.bind(lifecycle);
    this.history = versions.history.bind(versions);
    this.version = versions.version.bind(versions);
    const listing = new PatientListing(support);
    this.list = listing.list.bind(listing);
  }
}
