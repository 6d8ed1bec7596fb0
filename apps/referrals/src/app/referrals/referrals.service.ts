import type { PatientDirectory } from '@trellis/identity-client';

import type { Actor, Clock } from '../domain/ports';
import { type RttStopReason } from '../domain/rtt';
import type { Prisma, PrismaClient, TransitionRow } from '../prisma';
import type { ReferralEventSink } from './referral-events';
import { ReferralIntake } from './referrals.intake';
import { ReferralQueries } from './referrals.queries';
import { ReferralReactions } from './referrals.reactions';
import type { ReferralsRepository, ReferralWithAttachments } from './referrals.repository';
import {
  type CallContext,
  type ListQuery,
  type Page,
  ReferralSupport,
  type ReferralVersionView,
  type SendInput,
  type UpdateInput,
  type WaitingList,
} from './referrals.support';
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
  private readonly intake: ReferralIntake;
  private readonly transitions: ReferralTransitions;
  private readonly queries: ReferralQueries;
  private readonly reactions: ReferralReactions;

  constructor(
    prisma: PrismaClient,
    repo: ReferralsRepository,
    patients: PatientDirectory,
    events: ReferralEventSink,
    private readonly clock: Clock,
  ) {
    const support = new ReferralSupport(prisma, repo, patients, events, clock);
    this.intake = new ReferralIntake(support);
    this.transitions = new ReferralTransitions(support);
    this.queries = new ReferralQueries(support);
    this.reactions = new ReferralReactions(support);
  }

  now(): Date {
    return this.clock.now();
  }

  // ---- intake

  send(
    actor: Actor,
    input: SendInput,
    ctx: CallContext = {},
  ): Promise<{ referral: ReferralWithAttachments; replayed: boolean }> {
    return this.intake.send(actor, input, ctx);
  }

  // ---- transitions

  /** See ReferralTransitions.update. */
  update(
    actor: Actor,
    id: string,
    input: UpdateInput,
    ctx: CallContext = {},
  ): Promise<{ referral: ReferralWithAttachments; changedFields: string[] }> {
    return this.transitions.update(actor, id, input, ctx);
  }

  accept(
    actor: Actor,
    id: string,
    note: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transitions.accept(actor, id, note, ctx);
  }

  reject(
    actor: Actor,
    id: string,
    reason: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transitions.reject(actor, id, reason, ctx);
  }

  giveAdvice(
    actor: Actor,
    id: string,
    advice: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transitions.giveAdvice(actor, id, advice, ctx);
  }

  complete(
    actor: Actor,
    id: string,
    note: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transitions.complete(actor, id, note, ctx);
  }

  cancel(
    actor: Actor,
    id: string,
    reason: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transitions.cancel(actor, id, reason, ctx);
  }

  /** The referrer turns advice-given into a new referral (status sent) without re-entering it. */
  convertAdvice(
    actor: Actor,
    id: string,
    note: string,
    ctx: CallContext = {},
  ): Promise<{ referral: ReferralWithAttachments; original: ReferralWithAttachments }> {
    return this.transitions.convertAdvice(actor, id, note, ctx);
  }

  stopClock(
    actor: Actor,
    id: string,
    reason: RttStopReason | undefined,
    at: Date | undefined,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transitions.stopClock(actor, id, reason, at, ctx);
  }

  // ---- queries

  get(actor: Actor, id: string): Promise<ReferralWithAttachments> {
    return this.queries.get(actor, id);
  }

  timeline(
    actor: Actor,
    id: string,
  ): Promise<{ referral: ReferralWithAttachments; entries: TransitionRow[] }> {
    return this.queries.timeline(actor, id);
  }

  getVersion(actor: Actor, id: string, version: number): Promise<ReferralVersionView> {
    return this.queries.getVersion(actor, id, version);
  }

  listVersions(
    actor: Actor,
    id: string,
    q: { pageSize?: number; pageToken?: string },
  ): Promise<{ versions: ReferralVersionView[]; nextPageToken: string; total: number }> {
    return this.queries.listVersions(actor, id, q);
  }

  listIncoming(actor: Actor, q: ListQuery): Promise<Page> {
    return this.queries.listIncoming(actor, q);
  }

  listSent(actor: Actor, q: ListQuery): Promise<Page> {
    return this.queries.listSent(actor, q);
  }

  /** One patient's referrals the caller's organisation is party to; a citizen, all of their own. */
  listForPatient(actor: Actor, q: Omit<ListQuery, 'priorities'>): Promise<Page> {
    return this.queries.listForPatient(actor, q);
  }

  providerWaitingList(
    actor: Actor,
    odsCode: string | undefined,
  ): Promise<{ list: WaitingList; bySpecialty: WaitingList[]; asOf: Date }> {
    return this.queries.providerWaitingList(actor, odsCode);
  }

  regionalWaitingLists(
    caller: Actor & { scopes: readonly string[] },
    region: string,
  ): Promise<{
    total: WaitingList;
    providers: WaitingList[];
    providerSpecialties: WaitingList[];
    asOf: Date;
  }> {
    return this.queries.regionalWaitingLists(caller, region);
  }

  regionWaitingList(
    actor: Actor,
    region: string,
  ): Promise<{ total: WaitingList; providers: WaitingList[]; asOf: Date }> {
    return this.queries.regionWaitingList(actor, region);
  }

  // ---- reactions (inside the inbox transaction)

  /** See ReferralReactions.onAppointmentBooked. */
  onAppointmentBooked(
    tx: Prisma.TransactionClient,
    booking: Parameters<ReferralReactions['onAppointmentBooked']>[1],
    correlationId?: string,
  ): Promise<'booked' | 'flagged' | 'duplicate' | 'unknown-referral'> {
    return this.reactions.onAppointmentBooked(tx, booking, correlationId);
  }

  /** See ReferralReactions.onAppointmentCancelled. */
  onAppointmentCancelled(
    tx: Prisma.TransactionClient,
    cancellation: Parameters<ReferralReactions['onAppointmentCancelled']>[1],
    correlationId?: string,
  ): Promise<'unbooked' | 'not-booked' | 'unknown-referral'> {
    return this.reactions.onAppointmentCancelled(tx, cancellation, correlationId);
  }

  /** See ReferralReactions.onPatientDeceased. */
  onPatientDeceased(
    tx: Prisma.TransactionClient,
    death: { nhsNumber: string; deceasedAt?: Date },
    correlationId?: string,
  ): Promise<number> {
    return this.reactions.onPatientDeceased(tx, death, correlationId);
  }

  /** See ReferralReactions.onPatientMerged. */
  onPatientMerged(
    tx: Prisma.TransactionClient,
    superseded: string,
    survivor: string,
  ): Promise<number> {
    return this.reactions.onPatientMerged(tx, superseded, survivor);
  }
}
