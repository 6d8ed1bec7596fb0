import type { PatientDirectory } from '@trellis/identity-client';

import type { Clock } from '../domain/ports';
import type { ReferralEventSink } from './referral-events';
import { ReferralIntake } from './referrals.intake';
import { ReferralQueries } from './referrals.queries';
import { ReferralReactions } from './referrals.reactions';
import type { ReferralsRepository } from './referrals.repository';
import { ReferralSupport } from './referrals.support';
import { ReferralTransitions } from './referrals.transitions';

export {
  type AttachmentInput,
  type CallContext,
  clockStopOnDeath,
  LIMITS,
  type ListQuery,
  type Page,
  PATIENT_DECEASED,
  PLATFORM_SYSTEM_ID,
  type Priority,
  priorityOf,
  type ReferralVersionView,
  type SendInput,
  sha256Hex,
  statusOf,
  type UpdateInput,
  type WaitingList,
} from './referrals.support';

/**
 * Referral rules and transactions: sending (identity-checked, idempotent), the state machine with a
 * timeline row per transition, organisation visibility, the RTT clock and waiting lists, and the
 * reactions to appointment and identity events. Time comes only from the injected Clock. One
 * entry point over its responsibilities: intake, transitions, queries and reactions.
 */
export class ReferralsService {
  readonly send: ReferralIntake['send'];
  readonly update: ReferralTransitions['update'];
  readonly accept: ReferralTransitions['accept'];
  readonly reject: ReferralTransitions['reject'];
  readonly returnToReferrer: ReferralTransitions['returnToReferrer'];
  readonly giveAdvice: ReferralTransitions['giveAdvice'];
  readonly complete: ReferralTransitions['complete'];
  readonly cancel: ReferralTransitions['cancel'];
  readonly convertAdvice: ReferralTransitions['convertAdvice'];
  readonly stopClock: ReferralTransitions['stopClock'];
  readonly get: ReferralQueries['get'];
  readonly attachment: ReferralQueries['attachment'];
  readonly timeline: ReferralQueries['timeline'];
  readonly getVersion: ReferralQueries['getVersion'];
  readonly listVersions: ReferralQueries['listVersions'];
  readonly listIncoming: ReferralQueries['listIncoming'];
  readonly listSent: ReferralQueries['listSent'];
  readonly listForPatient: ReferralQueries['listForPatient'];
  readonly providerWaitingList: ReferralQueries['providerWaitingList'];
  readonly regionalWaitingLists: ReferralQueries['regionalWaitingLists'];
  readonly regionWaitingList: ReferralQueries['regionWaitingList'];
  readonly onAppointmentBooked: ReferralReactions['onAppointmentBooked'];
  readonly onAppointmentCancelled: ReferralReactions['onAppointmentCancelled'];
  readonly onPatientDeceased: ReferralReactions['onPatientDeceased'];
  readonly onPatientMerged: ReferralReactions['onPatientMerged'];

  constructor(
    repo: ReferralsRepository,
    patients: PatientDirectory,
    events: ReferralEventSink,
    private readonly clock: Clock,
  ) {
    const support = new ReferralSupport(repo, patients, events, clock);
    const intake = new ReferralIntake(support);
    const transitions = new ReferralTransitions(support);
    const queries = new ReferralQueries(support);
    const reactions = new ReferralReactions(support);
    this.send = intake.send.bind(intake);
    this.update = transitions.update.bind(transitions);
    this.accept = transitions.accept.bind(transitions);
    this.reject = transitions.reject.bind(transitions);
    this.returnToReferrer = transitions.returnToReferrer.bind(transitions);
    this.giveAdvice = transitions.giveAdvice.bind(transitions);
    this.complete = transitions.complete.bind(transitions);
    this.cancel = transitions.cancel.bind(transitions);
    this.convertAdvice = transitions.convertAdvice.bind(transitions);
    this.stopClock = transitions.stopClock.bind(transitions);
    this.get = queries.get.bind(queries);
    this.attachment = queries.attachment.bind(queries);
    this.timeline = queries.timeline.bind(queries);
    this.getVersion = queries.getVersion.bind(queries);
    this.listVersions = queries.listVersions.bind(queries);
    this.listIncoming = queries.listIncoming.bind(queries);
    this.listSent = queries.listSent.bind(queries);
    this.listForPatient = queries.listForPatient.bind(queries);
    this.providerWaitingList = queries.providerWaitingList.bind(queries);
    this.regionalWaitingLists = queries.regionalWaitingLists.bind(queries);
    this.regionWaitingList = queries.regionWaitingList.bind(queries);
    this.onAppointmentBooked = reactions.onAppointmentBooked.bind(reactions);
    this.onAppointmentCancelled = reactions.onAppointmentCancelled.bind(reactions);
    this.onPatientDeceased = reactions.onPatientDeceased.bind(reactions);
    this.onPatientMerged = reactions.onPatientMerged.bind(reactions);
  }

  now(): Date {
    return this.clock.now();
  }
}
