import type { PatientDirectory } from '@trellis/identity-client';
import { serviceEntry } from '@trellis/service-kit';

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
export class ReferralsService extends serviceEntry(
  (
    repo: ReferralsRepository,
    patients: PatientDirectory,
    events: ReferralEventSink,
    clock: Clock,
  ) => {
    const support = new ReferralSupport(repo, patients, events, clock);
    return {
      intake: new ReferralIntake(support),
      transitions: new ReferralTransitions(support),
      queries: new ReferralQueries(support),
      reactions: new ReferralReactions(support),
      // the injected Clock's time, read at each call
      time: { now: (): Date => clock.now() },
    };
  },
  {
    intake: ['send'],
    transitions: [
      'update',
      'accept',
      'reject',
      'returnToReferrer',
      'giveAdvice',
      'complete',
      'cancel',
      'convertAdvice',
      'stopClock',
    ],
    queries: [
      'get',
      'attachment',
      'timeline',
      'getVersion',
      'listVersions',
      'listIncoming',
      'listSent',
      'listForPatient',
      'providerWaitingList',
      'regionalWaitingLists',
      'regionWaitingList',
    ],
    reactions: [
      'onAppointmentBooked',
      'onAppointmentCancelled',
      'onPatientDeceased',
      'onPatientMerged',
    ],
    time: ['now'],
  },
) {}
