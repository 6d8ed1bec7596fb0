import type { NhsNumberAllocator } from '@trellis/nhs-number';
import { serviceEntry } from '@trellis/service-kit';
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
export class PatientsService extends serviceEntry(
  (
    repo: PatientsRepository,
    allocator: NhsNumberAllocator,
    events: PatientEventSink,
    rules: IdentityRules = DEFAULT_RULES,
    clock: () => Date = () => new Date(),
    auditOverride?: OverrideAudit,
  ) => {
    const support = new PatientSupport(repo, rules, clock);
    return {
      registration: new PatientRegistration(support, allocator, events, auditOverride),
      trace: new PatientTrace(support),
      lifecycle: new PatientLifecycle(support, events),
      history: new PatientHistory(support),
      listing: new PatientListing(support),
    };
  },
  {
    registration: ['register'],
    trace: ['get', 'trace'],
    lifecycle: ['update', 'markDeceased', 'merge'],
    history: ['history', 'version'],
    listing: ['list'],
  },
) {}
