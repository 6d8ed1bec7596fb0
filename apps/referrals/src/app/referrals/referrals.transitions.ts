import type { Actor } from '../domain/ports';
import { nextStatus, toDbStatus, type Action } from '../domain/referral-state';
import { ReferralsError, ReferralsErrorCode } from '../domain/referrals.errors';
import { type RttStopReason } from '../domain/rtt';
import { Violations } from '../domain/validation';
import type { Prisma } from '../prisma';
import type { ReferralEvent } from './referral-events';
import type { ReferralWithAttachments } from './referrals.repository';
import {
  type CallContext,
  checkClinical,
  dbPriority,
  involved,
  LIMITS,
  notFound,
  notReferrer,
  notTarget,
  priorityOf,
  type ReferralSupport,
  statusOf,
  type UpdateInput,
  who,
} from './referrals.support';

/**
 * A referral's changes by its two organisations: the referrer's update, the state machine
 * (accept, reject, advice, complete, cancel) with a timeline row per transition, converting advice
 * into a referral and stopping the RTT clock.
 */
export class ReferralTransitions {
  constructor(private readonly s: ReferralSupport) {}

  /**
   * The referrer changes the clinically mutable fields (priority, reason, clinical summary) while
   * the referral is sent or accepted, at the version it last read. Who is involved, the patient,
   * the organisations and the service cannot change (cancel and refer again). One transaction:
   * the row (version + 1, snapshot by trigger), a timeline row and ReferralUpdated. Nothing
   * changed = no new version, no event.
   */
  async update(
    actor: Actor,
    id: string,
    input: UpdateInput,
    ctx: CallContext = {},
  ): Promise<{ referral: ReferralWithAttachments; changedFields: string[] }> {
    this.s.checkId(id);
    const v = new Violations();
    if (!Number.isInteger(input.expectedVersion) || input.expectedVersion < 1)
      v.add('expected_version', 'required', 'expected_version (the version last read) is required');
    checkClinical(v, input);
    v.throwIfAny();
    const note = this.s.optionalText('note', input.note);
    const now = this.s.clock.now();
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = await this.s.lockVisible(repo, actor, id);
      if (current.referrerOdsCode !== actor.odsCode) throw notReferrer(current, actor);
      if (current.version !== input.expectedVersion) {
        throw new ReferralsError(
          ReferralsErrorCode.VersionConflict,
          `Referral ${id} is at version ${current.version}, not ${input.expectedVersion}: read it again`,
          { referralId: id, currentVersion: String(current.version) },
        );
      }
      const status = statusOf(current);
      if (status !== 'sent' && status !== 'accepted') {
        throw new ReferralsError(
          ReferralsErrorCode.NotEditable,
          `Referral ${id} is '${status}': only sent or accepted referrals can be changed`,
          { referralId: id, currentStatus: status },
        );
      }
      const data: Prisma.ReferralUncheckedUpdateInput = {};
      const changed: string[] = [];
      if (priorityOf(current) !== input.priority) {
        changed.push(`priority ${priorityOf(current)} -> ${input.priority!}`);
        data.priority = dbPriority(input.priority!);
      }
      if (
        current.reasonCode !== input.reason.code ||
        current.reasonDisplay !== input.reason.display
      ) {
        changed.push(`reason ${current.reasonCode} -> ${input.reason.code}`);
        data.reasonCode = input.reason.code;
        data.reasonDisplay = input.reason.display;
      }
      if (current.clinicalSummary !== input.clinicalSummary) {
        changed.push('clinical_summary');
        data.clinicalSummary = input.clinicalSummary;
      }
      if (changed.length === 0) return { referral: current, changedFields: [] };
      const updated = await repo.update(id, data);
      await repo.addTransition({
        referralId: id,
        fromStatus: status,
        toStatus: status,
        at: now,
        ...who(actor),
        note: `updated: ${changed.join('; ')}${note ? ` (${note})` : ''}`,
        source: 'api',
      });
      const changedFields = changed.map((c) => c.split(' ')[0]!);
      await this.s.emit(
        tx,
        { type: 'ReferralUpdated', referral: updated, changedFields, note },
        actor,
        ctx,
        now,
      );
      return { referral: updated, changedFields };
    });
  }

  async accept(
    actor: Actor,
    id: string,
    note: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transition(actor, id, 'accept', { note: this.s.optionalText('note', note) }, ctx);
  }

  async reject(
    actor: Actor,
    id: string,
    reason: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transition(
      actor,
      id,
      'reject',
      { reason: this.s.requiredText('reason', reason) },
      ctx,
    );
  }

  async giveAdvice(
    actor: Actor,
    id: string,
    advice: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transition(
      actor,
      id,
      'give-advice',
      { advice: this.s.requiredText('advice', advice, LIMITS.clinicalSummary) },
      ctx,
    );
  }

  async complete(
    actor: Actor,
    id: string,
    note: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transition(actor, id, 'complete', { note: this.s.optionalText('note', note) }, ctx);
  }

  async cancel(
    actor: Actor,
    id: string,
    reason: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transition(
      actor,
      id,
      'cancel',
      { reason: this.s.requiredText('reason', reason) },
      ctx,
    );
  }

  /** The provider returns a sent or accepted referral to the referrer, with a reason. */
  async returnToReferrer(
    actor: Actor,
    id: string,
    reason: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transition(
      actor,
      id,
      'return',
      { reason: this.s.requiredText('reason', reason) },
      ctx,
    );
  }

  /** The referrer turns advice-given into a new referral (status sent) without re-entering it. */
  async convertAdvice(
    actor: Actor,
    id: string,
    note: string,
    ctx: CallContext = {},
  ): Promise<{ referral: ReferralWithAttachments; original: ReferralWithAttachments }> {
    this.s.checkId(id);
    const extra = this.s.optionalText('note', note);
    const first = await this.s.repo.find(id);
    if (!first || !involved(first, actor.odsCode)) throw notFound(id);
    if (first.referrerOdsCode !== actor.odsCode) throw notReferrer(first, actor);
    await this.s.assertPatientReferrable(first.nhsNumber, ctx);
    const now = this.s.clock.now();
    return this.s.repo.inTransaction(async (repo, tx) => {
      const original = (await repo.lock(id))!;
      if (statusOf(original) !== 'advice-given') {
        throw new ReferralsError(
          ReferralsErrorCode.IllegalTransition,
          `Referral ${id} is '${statusOf(original)}': only advice-given requests can be converted to a referral`,
          { referralId: id, currentStatus: statusOf(original), action: 'convert' },
        );
      }
      if (original.convertedToReferralId) {
        throw new ReferralsError(
          ReferralsErrorCode.AlreadyConverted,
          `Referral ${id} was already converted to referral ${original.convertedToReferralId}`,
          { referralId: id, convertedToReferralId: original.convertedToReferralId },
        );
      }
      const referral = await this.s.createReferral(
        repo,
        tx,
        actor,
        ctx,
        now,
        {
          nhsNumber: original.nhsNumber,
          referrerOdsCode: original.referrerOdsCode,
          referrerRegion: original.referrerRegion,
          referrerPractitionerId: original.referrerPractitionerId,
          targetOdsCode: original.targetOdsCode,
          targetRegion: original.targetRegion,
          specialtyCode: original.specialtyCode,
          priority: original.priority,
          reasonCode: original.reasonCode,
          reasonDisplay: original.reasonDisplay,
          clinicalSummary: extra
            ? `${original.clinicalSummary}\n\n${extra}`
            : original.clinicalSummary,
          basedOnReferralId: original.id,
          idempotencyKey: `convert:${original.id}`,
          requestHash: `convert:${original.id}`,
        },
        [],
        original.id,
      );
      const updated = await repo.update(id, { convertedToReferralId: referral.id });
      await repo.addTransition({
        referralId: id,
        fromStatus: 'advice-given',
        toStatus: 'advice-given',
        at: now,
        ...who(actor),
        note: `converted to referral ${referral.id}`,
        source: 'api',
      });
      return { referral: (await repo.find(referral.id))!, original: updated };
    });
  }

  async stopClock(
    actor: Actor,
    id: string,
    reason: RttStopReason | undefined,
    at: Date | undefined,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    this.s.checkId(id);
    const v = new Violations();
    if (reason !== 'first-definitive-treatment' && reason !== 'decision-not-to-treat')
      v.add(
        'reason',
        'required',
        'reason must be FIRST_DEFINITIVE_TREATMENT or DECISION_NOT_TO_TREAT',
      );
    v.throwIfAny();
    const now = this.s.clock.now();
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = await this.s.lockVisible(repo, actor, id);
      if (current.targetOdsCode !== actor.odsCode) throw notTarget(current, actor);
      const status = statusOf(current);
      if (current.rttStoppedAt) {
        throw new ReferralsError(
          ReferralsErrorCode.RttClockStopped,
          `The RTT clock of referral ${id} already stopped at ${current.rttStoppedAt.toISOString()} (${current.rttStopReason}); status '${status}'`,
          { referralId: id, currentStatus: status, stoppedAt: current.rttStoppedAt.toISOString() },
        );
      }
      const stopAt = at ?? now;
      if (stopAt.getTime() > now.getTime())
        throw ReferralsError.invalid([
          { field: 'at', rule: 'not-future', message: 'at must not be in the future' },
        ]);
      if (stopAt.getTime() < current.rttStartedAt.getTime())
        throw ReferralsError.invalid([
          {
            field: 'at',
            rule: 'after-start',
            message: `at must not be before the clock started (${current.rttStartedAt.toISOString()})`,
          },
        ]);
      const updated = await repo.update(id, {
        rttStoppedAt: stopAt,
        rttStopReason: reason!,
      });
      await repo.addTransition({
        referralId: id,
        fromStatus: status,
        toStatus: status,
        at: now,
        ...who(actor),
        note: `RTT clock stopped: ${reason} at ${stopAt.toISOString()}`,
        source: 'api',
      });
      await this.s.emit(
        tx,
        { type: 'RttClockStopped', referral: updated, reason: reason! },
        actor,
        ctx,
        now,
      );
      return updated;
    });
  }

  private async transition(
    actor: Actor,
    id: string,
    action: Exclude<Action, 'book' | 'unbook'>,
    text: { note?: string; reason?: string; advice?: string },
    ctx: CallContext,
  ): Promise<ReferralWithAttachments> {
    this.s.checkId(id);
    const now = this.s.clock.now();
    return this.s.repo.inTransaction(async (repo, tx) => {
      const current = await this.s.lockVisible(repo, actor, id);
      if (action !== 'cancel' && current.targetOdsCode !== actor.odsCode)
        throw notTarget(current, actor);
      const from = statusOf(current);
      const to = nextStatus(from, action, id);
      const data: Prisma.ReferralUncheckedUpdateInput = { status: toDbStatus(to) };
      if (action === 'reject') data.rejectionReason = text.reason!;
      if (action === 'give-advice') data.advice = text.advice!;
      if (action === 'cancel') data.cancellationReason = text.reason!;
      if (action === 'return') data.returnReason = text.reason!;
      // Closing a referral stops a running clock: completion is first definitive treatment,
      // rejection / advice / cancellation / return close the pathway.
      let stopReason: RttStopReason | undefined;
      if (!current.rttStoppedAt && to !== 'accepted') {
        stopReason = to === 'completed' ? 'first-definitive-treatment' : 'referral-closed';
        data.rttStoppedAt = now;
        data.rttStopReason = stopReason;
      }
      const updated = await repo.update(id, data);
      await repo.addTransition({
        referralId: id,
        fromStatus: from,
        toStatus: to,
        at: now,
        ...who(actor),
        note: text.reason ?? text.advice ?? text.note ?? null,
        source: 'api',
      });
      const event: ReferralEvent =
        action === 'accept'
          ? { type: 'ReferralAccepted', referral: updated, note: text.note ?? '' }
          : action === 'reject'
            ? { type: 'ReferralRejected', referral: updated, reason: text.reason! }
            : action === 'give-advice'
              ? { type: 'ReferralAdviceGiven', referral: updated, advice: text.advice! }
              : action === 'complete'
                ? { type: 'ReferralCompleted', referral: updated, note: text.note ?? '' }
                : action === 'return'
                  ? { type: 'ReferralReturned', referral: updated, reason: text.reason! }
                  : { type: 'ReferralCancelled', referral: updated, reason: text.reason! };
      await this.s.emit(tx, event, actor, ctx, now);
      if (stopReason)
        await this.s.emit(
          tx,
          { type: 'RttClockStopped', referral: updated, reason: stopReason },
          actor,
          ctx,
          now,
        );
      return updated;
    });
  }
}
