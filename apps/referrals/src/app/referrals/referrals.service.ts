import { createHash } from 'node:crypto';

import { decodePageToken, encodePageToken } from '../domain/page-token';
import { isUniqueViolation } from '../domain/pg-errors';
import type { Actor, Clock } from '../domain/ports';
import {
  CANCELLED_ON_DEATH,
  fromDbStatus,
  nextStatus,
  toDbStatus,
  type Action,
  type Status,
} from '../domain/referral-state';
import { ReferralsError, ReferralsErrorCode } from '../domain/referrals.errors';
import { type RttStopReason } from '../domain/rtt';
import { sctidProblem } from '../domain/snomed';
import { CODE, IDEMPOTENCY_KEY, pageSize, REGION_CODE, Violations } from '../domain/validation';
import type { PatientDirectory, PatientLookupContext } from '@trellis/identity-client';
import { regionOfOrganisation } from '@trellis/platform';
import type { Prisma, PrismaClient, ReferralRow, TransitionRow, VersionRow } from '../prisma';
import type { ReferralEvent, ReferralEventSink } from './referral-events';
import {
  assertRegionalReader,
  emptyRow,
  sumRows,
  toWaitingList,
  type WaitingList,
} from './waiting-lists';
import {
  referralFromSnapshot,
  ReferralsRepository,
  type NewAttachment,
  type ReferralWithAttachments,
  type WorklistQuery,
} from './referrals.repository';

export type Priority = 'routine' | 'urgent' | 'two-week-wait';

export interface AttachmentInput {
  contentType: string;
  title: string;
  data: Uint8Array;
  sha256?: string;
}

export interface SendInput {
  idempotencyKey: string;
  nhsNumber: string;
  practitionerId: string;
  target: { odsCode: string; region: string; specialtyCode: string };
  priority?: Priority;
  reason: { code: string; display: string };
  clinicalSummary: string;
  attachments: AttachmentInput[];
}

/** The clinically mutable fields a referrer may change (UpdateReferral), all three given. */
export interface UpdateInput {
  expectedVersion: number;
  priority?: Priority;
  reason: { code: string; display: string };
  clinicalSummary: string;
  note?: string;
}

/** One stored version of a referral. */
export interface ReferralVersionView {
  version: number;
  referral: ReferralWithAttachments;
  recordedAt: Date;
  change: string;
}

export interface CallContext extends PatientLookupContext {
  correlationId?: string;
}

export type { WaitingList };

export const LIMITS = {
  attachmentBytes: 1024 * 1024,
  attachments: 10,
  clinicalSummary: 20_000,
  text: 2_000,
} as const;

const MIME = /^[a-z]+\/[a-z0-9][a-z0-9.+-]{0,99}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const TX = { maxWait: 10_000, timeout: 15_000 } as const;

const dbPriority = (p: Priority): ReferralRow['priority'] =>
  p === 'two-week-wait' ? 'two_week_wait' : p;
export const priorityOf = (r: Pick<ReferralRow, 'priority'>): Priority =>
  r.priority === 'two_week_wait' ? 'two-week-wait' : r.priority;
export const statusOf = (r: Pick<ReferralRow, 'status'>): Status => fromDbStatus(r.status);

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Priority, reason (SNOMED CT) and clinical summary: the same rules on send and on update. */
function checkClinical(
  v: Violations,
  input: Pick<SendInput, 'priority' | 'reason' | 'clinicalSummary'>,
): void {
  if (!input.priority)
    v.add('priority', 'required', 'priority is required (routine, urgent or two-week-wait)');
  if (v.required('reason.code', input.reason.code)) {
    const problem = sctidProblem(input.reason.code);
    if (problem)
      v.add(
        'reason.code',
        `snomed.${problem}`,
        `reason.code '${input.reason.code}' is not a SNOMED CT concept id (${problem})`,
      );
  }
  if (v.required('reason.display', input.reason.display) && input.reason.display.length > 500)
    v.add('reason.display', 'max-length', 'reason.display must be at most 500 characters');
  if (
    v.required('clinical_summary', input.clinicalSummary) &&
    input.clinicalSummary.length > LIMITS.clinicalSummary
  )
    v.add(
      'clinical_summary',
      'max-length',
      `clinical_summary must be at most ${LIMITS.clinicalSummary} characters`,
    );
}

/**
 * Referral rules and transactions: sending (identity-checked, idempotent), the state machine with a
 * timeline row per transition, organisation visibility, the RTT clock and waiting lists, and the
 * reactions to appointment and identity events. Time comes only from the injected Clock.
 */
export class ReferralsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly repo: ReferralsRepository,
    private readonly patients: PatientDirectory,
    private readonly events: ReferralEventSink,
    private readonly clock: Clock,
  ) {}

  now(): Date {
    return this.clock.now();
  }

  async send(
    actor: Actor,
    input: SendInput,
    ctx: CallContext = {},
  ): Promise<{ referral: ReferralWithAttachments; replayed: boolean }> {
    const v = new Violations();
    if (v.required('idempotency_key', input.idempotencyKey))
      v.pattern(
        'idempotency_key',
        input.idempotencyKey,
        IDEMPOTENCY_KEY,
        'idempotency-key',
        'idempotency_key must be 8-128 characters of letters, digits, . _ : -',
      );
    const nhsNumber = v.nhsNumber('nhs_number', input.nhsNumber);
    if (v.required('practitioner_id', input.practitionerId))
      v.pattern(
        'practitioner_id',
        input.practitionerId,
        CODE,
        'code',
        'practitioner_id must be an identifier',
      );
    // the target must exist in the ODS reference data, and its region is the reference data's
    const target = v.organisation('target.ods_code', input.target.odsCode);
    if (input.target.odsCode && input.target.odsCode === actor.odsCode)
      v.add('target.ods_code', 'different-organisation', 'an organisation cannot refer to itself');
    if (
      input.target.region &&
      v.pattern(
        'target.region',
        input.target.region,
        REGION_CODE,
        'region',
        'target.region must be a region code such as north-east',
      )
    )
      v.regionOf('target.region', target, input.target.region);
    if (v.required('target.specialty_code', input.target.specialtyCode))
      v.pattern(
        'target.specialty_code',
        input.target.specialtyCode,
        CODE,
        'code',
        'target.specialty_code must be a code',
      );
    checkClinical(v, input);
    const attachments = this.checkAttachments(input.attachments, v);
    v.throwIfAny();

    const requestHash = createHash('sha256')
      .update(
        JSON.stringify([
          nhsNumber,
          input.practitionerId,
          input.target,
          input.priority,
          input.reason,
          input.clinicalSummary,
          attachments.map((a) => [a.contentType, a.title, a.sha256]),
        ]),
      )
      .digest('hex');
    const earlier = await this.replay(actor.odsCode, input.idempotencyKey, requestHash);
    if (earlier) return { referral: earlier, replayed: true };

    await this.assertPatientReferrable(nhsNumber!, ctx);
    const now = this.clock.now();
    try {
      const referral = await this.prisma.$transaction(
        (tx) =>
          this.createReferral(
            tx,
            actor,
            ctx,
            now,
            {
              nhsNumber: nhsNumber!,
              referrerOdsCode: actor.odsCode,
              referrerRegion: regionOfOrganisation(actor.odsCode) ?? actor.region,
              referrerPractitionerId: input.practitionerId,
              targetOdsCode: target!.odsCode,
              targetRegion: target!.region,
              specialtyCode: input.target.specialtyCode,
              priority: dbPriority(input.priority!),
              reasonCode: input.reason.code,
              reasonDisplay: input.reason.display,
              clinicalSummary: input.clinicalSummary,
              idempotencyKey: input.idempotencyKey,
              requestHash,
            },
            attachments,
          ),
        TX,
      );
      return { referral, replayed: false };
    } catch (err) {
      if (isUniqueViolation(err)) {
        const winner = await this.replay(actor.odsCode, input.idempotencyKey, requestHash);
        if (winner) return { referral: winner, replayed: true };
      }
      throw err;
    }
  }

  async get(actor: Actor, id: string): Promise<ReferralWithAttachments> {
    this.checkId(id);
    const r = await this.repo.find(this.prisma, id);
    // a citizen (patient token) reads their own referrals; an organisation those it is party to
    const visible = actor.patient
      ? r?.nhsNumber === actor.patient
      : r && involved(r, actor.odsCode);
    if (!r || !visible) throw notFound(id);
    return r;
  }

  async timeline(
    actor: Actor,
    id: string,
  ): Promise<{ referral: ReferralWithAttachments; entries: TransitionRow[] }> {
    const referral = await this.get(actor, id);
    return { referral, entries: await this.repo.timeline(this.prisma, id) };
  }

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
    this.checkId(id);
    const v = new Violations();
    if (!Number.isInteger(input.expectedVersion) || input.expectedVersion < 1)
      v.add('expected_version', 'required', 'expected_version (the version last read) is required');
    checkClinical(v, input);
    v.throwIfAny();
    const note = this.optionalText('note', input.note);
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const current = await this.lockVisible(tx, actor, id);
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
      const updated = await this.repo.update(tx, id, data);
      await this.repo.addTransition(tx, {
        referralId: id,
        fromStatus: status,
        toStatus: status,
        at: now,
        ...who(actor),
        note: `updated: ${changed.join('; ')}${note ? ` (${note})` : ''}`,
        source: 'api',
      });
      const changedFields = changed.map((c) => c.split(' ')[0]!);
      await this.emit(
        tx,
        { type: 'ReferralUpdated', referral: updated, changedFields, note },
        actor,
        ctx,
        now,
      );
      return { referral: updated, changedFields };
    }, TX);
  }

  /** One stored version; only the two organisations see it (as GetReferral). */
  async getVersion(actor: Actor, id: string, version: number): Promise<ReferralVersionView> {
    const current = await this.get(actor, id);
    const row =
      Number.isInteger(version) && version >= 1
        ? await this.repo.findVersion(this.prisma, id, version)
        : null;
    if (!row) {
      throw new ReferralsError(
        ReferralsErrorCode.VersionNotFound,
        `Referral ${id} has no version ${version} (current ${current.version})`,
        { referralId: id, currentVersion: String(current.version) },
      );
    }
    return toVersionView(row, current);
  }

  /** Stored versions, newest first, keyset-paged; only the two organisations see them. */
  async listVersions(
    actor: Actor,
    id: string,
    q: { pageSize?: number; pageToken?: string },
  ): Promise<{ versions: ReferralVersionView[]; nextPageToken: string; total: number }> {
    const current = await this.get(actor, id);
    const v = new Violations();
    const take = pageSize(q.pageSize, v, 'page.page_size', 200, 50);
    v.throwIfAny();
    const filter = { q: 'versions', id };
    const cursor = decodePageToken(q.pageToken, filter, 'page.page_token');
    const rows = await this.repo.listVersions(this.prisma, id, {
      ...(cursor ? { before: Number(cursor.i) } : {}),
      take: take + 1,
    });
    const page = rows.slice(0, take);
    const last = page[page.length - 1];
    return {
      versions: page.map((r) => toVersionView(r, current)),
      nextPageToken:
        rows.length > take && last
          ? encodePageToken({ s: last.recordedAt.toISOString(), i: String(last.version) }, filter)
          : '',
      total: await this.repo.countVersions(this.prisma, id),
    };
  }

  async accept(
    actor: Actor,
    id: string,
    note: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transition(actor, id, 'accept', { note: this.optionalText('note', note) }, ctx);
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
      { reason: this.requiredText('reason', reason) },
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
      { advice: this.requiredText('advice', advice, LIMITS.clinicalSummary) },
      ctx,
    );
  }

  async complete(
    actor: Actor,
    id: string,
    note: string,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    return this.transition(actor, id, 'complete', { note: this.optionalText('note', note) }, ctx);
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
      { reason: this.requiredText('reason', reason) },
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
    this.checkId(id);
    const extra = this.optionalText('note', note);
    const first = await this.repo.find(this.prisma, id);
    if (!first || !involved(first, actor.odsCode)) throw notFound(id);
    if (first.referrerOdsCode !== actor.odsCode) throw notReferrer(first, actor);
    await this.assertPatientReferrable(first.nhsNumber, ctx);
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const original = (await this.repo.lock(tx, id))!;
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
      const referral = await this.createReferral(
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
      const updated = await this.repo.update(tx, id, { convertedToReferralId: referral.id });
      await this.repo.addTransition(tx, {
        referralId: id,
        fromStatus: 'advice-given',
        toStatus: 'advice-given',
        at: now,
        ...who(actor),
        note: `converted to referral ${referral.id}`,
        source: 'api',
      });
      return { referral: (await this.repo.find(tx, referral.id))!, original: updated };
    }, TX);
  }

  async stopClock(
    actor: Actor,
    id: string,
    reason: RttStopReason | undefined,
    at: Date | undefined,
    ctx: CallContext = {},
  ): Promise<ReferralWithAttachments> {
    this.checkId(id);
    const v = new Violations();
    if (reason !== 'first-definitive-treatment' && reason !== 'decision-not-to-treat')
      v.add(
        'reason',
        'required',
        'reason must be FIRST_DEFINITIVE_TREATMENT or DECISION_NOT_TO_TREAT',
      );
    v.throwIfAny();
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const current = await this.lockVisible(tx, actor, id);
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
      const updated = await this.repo.update(tx, id, {
        rttStoppedAt: stopAt,
        rttStopReason: reason!,
      });
      await this.repo.addTransition(tx, {
        referralId: id,
        fromStatus: status,
        toStatus: status,
        at: now,
        ...who(actor),
        note: `RTT clock stopped: ${reason} at ${stopAt.toISOString()}`,
        source: 'api',
      });
      await this.emit(
        tx,
        { type: 'RttClockStopped', referral: updated, reason: reason! },
        actor,
        ctx,
        now,
      );
      return updated;
    }, TX);
  }

  listIncoming(actor: Actor, q: ListQuery): Promise<Page> {
    return this.list(actor, 'target', q);
  }

  listSent(actor: Actor, q: ListQuery): Promise<Page> {
    return this.list(actor, 'referrer', q);
  }

  /** One patient's referrals the caller's organisation is party to; a citizen, all of their own. */
  listForPatient(actor: Actor, q: Omit<ListQuery, 'priorities'>): Promise<Page> {
    const v = new Violations();
    v.required('nhs_number', q.nhsNumber);
    v.throwIfAny();
    if (actor.patient && actor.patient !== q.nhsNumber)
      throw new ReferralsError(ReferralsErrorCode.NotInvolved, "Only the patient's own referrals");
    return this.list(actor, actor.patient ? 'patient' : 'either', { ...q, priorities: [] });
  }

  async providerWaitingList(
    actor: Actor,
    odsCode: string | undefined,
  ): Promise<{ list: WaitingList; bySpecialty: WaitingList[]; asOf: Date }> {
    const ods = odsCode || actor.odsCode;
    const v = new Violations();
    v.odsCode('ods_code', ods);
    v.throwIfAny();
    if (ods !== actor.odsCode) throw notOwnWaitingList('ods_code', ods, actor.odsCode);
    const asOf = this.clock.now();
    const [rows, bySpecialty] = await Promise.all([
      this.repo.waitingList(this.prisma, { odsCode: ods }, asOf),
      this.repo.waitingList(this.prisma, { odsCode: ods }, asOf, true),
    ]);
    return {
      list: toWaitingList(rows[0] ?? emptyRow(ods, '')),
      bySpecialty: bySpecialty.map(toWaitingList),
      asOf,
    };
  }

  /** A region's lists by provider and by provider × specialty (its authority or national only). */
  async regionalWaitingLists(
    caller: Actor & { scopes: readonly string[] },
    region: string,
  ): Promise<{
    total: WaitingList;
    providers: WaitingList[];
    providerSpecialties: WaitingList[];
    asOf: Date;
  }> {
    const v = new Violations();
    if (v.required('region', region))
      v.pattern(
        'region',
        region,
        REGION_CODE,
        'region',
        'region must be a region code such as north-east',
      );
    v.throwIfAny();
    assertRegionalReader(caller, region);
    const asOf = this.clock.now();
    const [providers, specialties] = await Promise.all([
      this.repo.waitingList(this.prisma, { region }, asOf),
      this.repo.waitingList(this.prisma, { region }, asOf, true),
    ]);
    return {
      total: toWaitingList(sumRows(providers, '', region)),
      providers: providers.map(toWaitingList),
      providerSpecialties: specialties.map(toWaitingList),
      asOf,
    };
  }

  /** The caller's own region only (regional authorities get their own access later). */
  async regionWaitingList(
    actor: Actor,
    region: string,
  ): Promise<{ total: WaitingList; providers: WaitingList[]; asOf: Date }> {
    const v = new Violations();
    if (v.required('region', region))
      v.pattern(
        'region',
        region,
        REGION_CODE,
        'region',
        'region must be a region code such as north-east',
      );
    v.throwIfAny();
    const own = regionOfOrganisation(actor.odsCode) ?? actor.region;
    if (region !== own) throw notOwnWaitingList('region', region, own);
    const asOf = this.clock.now();
    const rows = await this.repo.waitingList(this.prisma, { region }, asOf);
    const total = sumRows(rows, '', region);
    return { total: toWaitingList(total), providers: rows.map(toWaitingList), asOf };
  }

  // ---- reactions to other platforms' events (run inside the inbox transaction) ---------------

  /**
   * appointments' AppointmentBooked carrying this platform's referral id: sent/accepted -> booked
   * (first appointment time recorded for the two-week-wait rule). A booking for a referral that
   * cannot be booked (rejected, cancelled, advice-given, completed) or for another patient or
   * provider is flagged on the referral and its timeline, not applied. A redelivered or repeated
   * booking of the same appointment changes nothing.
   */
  async onAppointmentBooked(
    tx: Prisma.TransactionClient,
    booking: {
      referralId: string;
      appointmentId: string;
      nhsNumber: string;
      odsCode: string;
      start?: Date;
      bookedBy?: { systemId: string; odsCode: string };
    },
    correlationId?: string,
  ): Promise<'booked' | 'flagged' | 'duplicate' | 'unknown-referral'> {
    if (!/^[0-9a-f-]{36}$/i.test(booking.referralId)) return 'unknown-referral';
    const current = await this.repo.lock(tx, booking.referralId);
    if (!current) return 'unknown-referral';
    const now = this.clock.now();
    const status = statusOf(current);
    const actor = {
      actorSystemId: booking.bookedBy?.systemId || 'trellis-appointments',
      actorOdsCode: booking.bookedBy?.odsCode ?? booking.odsCode,
      actorUserId: null,
    };
    if (current.appointmentId === booking.appointmentId) return 'duplicate';
    const problem =
      status !== 'sent' && status !== 'accepted'
        ? `referral is '${status}'`
        : current.nhsNumber !== booking.nhsNumber &&
            current.mergedFromNhsNumber !== booking.nhsNumber
          ? `appointment is for patient ${booking.nhsNumber}, the referral for ${current.nhsNumber}`
          : booking.odsCode !== current.targetOdsCode
            ? `appointment is with ${booking.odsCode}, the referral targets ${current.targetOdsCode}`
            : undefined;
    if (problem) {
      await this.repo.update(tx, current.id, { bookingFlagged: true });
      await this.repo.addTransition(tx, {
        referralId: current.id,
        fromStatus: status,
        toStatus: status,
        at: now,
        ...actor,
        note: `booking-flagged: appointment ${booking.appointmentId} not applied (${problem})`,
        source: 'event',
      });
      return 'flagged';
    }
    const to = nextStatus(status, 'book', current.id);
    const first =
      current.firstAppointmentAt && booking.start && current.firstAppointmentAt < booking.start
        ? current.firstAppointmentAt
        : (booking.start ?? current.firstAppointmentAt);
    const updated = await this.repo.update(tx, current.id, {
      status: toDbStatus(to),
      appointmentId: booking.appointmentId,
      firstAppointmentAt: first ?? null,
    });
    await this.repo.addTransition(tx, {
      referralId: current.id,
      fromStatus: status,
      toStatus: to,
      at: now,
      ...actor,
      note: `appointment ${booking.appointmentId}${booking.start ? ` at ${booking.start.toISOString()}` : ''}`,
      source: 'event',
    });
    await this.events.append(
      tx,
      {
        type: 'ReferralBooked',
        referral: updated,
        appointmentId: booking.appointmentId,
        appointmentStart: booking.start,
      },
      { occurredAt: now, correlationId },
    );
    return 'booked';
  }

  /**
   * appointments' AppointmentCancelled for the appointment a referral is booked with:
   * booked -> accepted (awaiting a new booking), appointment id cleared, a timeline row and
   * ReferralBookingCancelled. A cancellation of any other appointment (already unbooked, rebooked
   * elsewhere, or a referral that moved on: completed, cancelled) changes nothing, so a
   * redelivered or repeated event is harmless. The first appointment time (two-week-wait rule)
   * is kept: it records the first appointment offered.
   */
  async onAppointmentCancelled(
    tx: Prisma.TransactionClient,
    cancellation: {
      referralId: string;
      appointmentId: string;
      reason: string;
      cancelledBy: string;
      actor?: { systemId: string; odsCode: string };
    },
    correlationId?: string,
  ): Promise<'unbooked' | 'not-booked' | 'unknown-referral'> {
    if (!/^[0-9a-f-]{36}$/i.test(cancellation.referralId)) return 'unknown-referral';
    const current = await this.repo.lock(tx, cancellation.referralId);
    if (!current) return 'unknown-referral';
    const status = statusOf(current);
    if (status !== 'booked' || current.appointmentId !== cancellation.appointmentId)
      return 'not-booked';
    const now = this.clock.now();
    const to = nextStatus(status, 'unbook', current.id);
    const updated = await this.repo.update(tx, current.id, {
      status: toDbStatus(to),
      appointmentId: null,
    });
    await this.repo.addTransition(tx, {
      referralId: current.id,
      fromStatus: status,
      toStatus: to,
      at: now,
      actorSystemId: cancellation.actor?.systemId || 'trellis-appointments',
      actorOdsCode: cancellation.actor?.odsCode || null,
      actorUserId: null,
      note: `appointment ${cancellation.appointmentId} cancelled${cancellation.reason ? ` (${cancellation.reason})` : ''}${cancellation.cancelledBy ? ` by ${cancellation.cancelledBy}` : ''}: awaiting a new booking`,
      source: 'event',
    });
    await this.events.append(
      tx,
      {
        type: 'ReferralBookingCancelled',
        referral: updated,
        appointmentId: cancellation.appointmentId,
        reason: cancellation.reason,
        cancelledBy: cancellation.cancelledBy,
      },
      { occurredAt: now, correlationId },
    );
    return 'unbooked';
  }

  /**
   * identity's PatientDeceased: the platform itself cancels every open referral of the patient
   * (sent, accepted, booked, and advice-given not yet converted) with reason "patient deceased":
   * per referral one update (status cancelled, version + 1, snapshot by trigger), a timeline row
   * (actor = this platform, source event) and ReferralCancelled, plus RttClockStopped
   * (referral-closed) when the clock was running, as CancelReferral does. The clock stops at the
   * date of death when given (not before the clock started, not after now): the patient stopped
   * waiting then, not when the death reached us. Closed referrals (rejected, completed,
   * cancelled, converted advice) are not touched, so a redelivered or repeated event changes
   * nothing; an AppointmentCancelled arriving later finds the referral not booked and leaves it
   * cancelled. The booked appointment's id is kept (appointments cancels the appointment itself).
   */
  async onPatientDeceased(
    tx: Prisma.TransactionClient,
    death: { nhsNumber: string; deceasedAt?: Date },
    correlationId?: string,
  ): Promise<number> {
    const ids = await this.repo.lockOpenOfPatient(tx, death.nhsNumber, CANCELLED_ON_DEATH);
    const now = this.clock.now();
    let cancelled = 0;
    for (const id of ids) {
      const current = (await this.repo.find(tx, id))!;
      const from = statusOf(current);
      if (!CANCELLED_ON_DEATH.includes(from)) continue;
      const data: Prisma.ReferralUncheckedUpdateInput = {
        status: 'cancelled',
        cancellationReason: PATIENT_DECEASED,
      };
      let stoppedAt: Date | undefined;
      if (!current.rttStoppedAt) {
        stoppedAt = clockStopOnDeath(current.rttStartedAt, death.deceasedAt, now);
        data.rttStoppedAt = stoppedAt;
        data.rttStopReason = 'referral-closed' satisfies RttStopReason;
      }
      const updated = await this.repo.update(tx, id, data);
      const died = death.deceasedAt ? `, died ${death.deceasedAt.toISOString().slice(0, 10)}` : '';
      await this.repo.addTransition(tx, {
        referralId: id,
        fromStatus: from,
        toStatus: 'cancelled',
        at: now,
        actorSystemId: PLATFORM_SYSTEM_ID,
        actorOdsCode: null,
        actorUserId: null,
        note: `${PATIENT_DECEASED} (identity PatientDeceased${died}): cancelled by the platform${stoppedAt ? `; RTT clock stopped at ${stoppedAt.toISOString()}` : ''}`,
        source: 'event',
      });
      const meta = { occurredAt: now, correlationId };
      await this.events.append(
        tx,
        { type: 'ReferralCancelled', referral: updated, reason: PATIENT_DECEASED },
        meta,
      );
      if (stoppedAt)
        await this.events.append(
          tx,
          { type: 'RttClockStopped', referral: updated, reason: 'referral-closed' },
          meta,
        );
      cancelled += 1;
    }
    return cancelled;
  }

  /** identity's PatientMerged: the superseded number's referrals move to the survivor. */
  async onPatientMerged(
    tx: Prisma.TransactionClient,
    superseded: string,
    survivor: string,
  ): Promise<number> {
    if (superseded === survivor) return 0;
    const ids = await this.repo.reassignPatient(tx, superseded, survivor);
    const now = this.clock.now();
    for (const id of ids) {
      const r = (await this.repo.find(tx, id))!;
      await this.repo.addTransition(tx, {
        referralId: id,
        fromStatus: statusOf(r),
        toStatus: statusOf(r),
        at: now,
        actorSystemId: 'trellis-identity',
        note: `patient ${superseded} merged into ${survivor}`,
        source: 'event',
      });
    }
    return ids.length;
  }

  // ---------------------------------------------------------------------------------------------

  private async createReferral(
    tx: Prisma.TransactionClient,
    actor: Actor,
    ctx: CallContext,
    now: Date,
    data: Omit<Prisma.ReferralUncheckedCreateInput, 'sentAt' | 'rttStartedAt' | 'status'>,
    attachments: NewAttachment[],
    copyAttachmentsFrom?: string,
  ): Promise<ReferralWithAttachments> {
    const created = await this.repo.create(
      tx,
      { ...data, status: 'sent', sentAt: now, rttStartedAt: now },
      attachments,
    );
    if (copyAttachmentsFrom) await this.repo.copyAttachments(tx, copyAttachmentsFrom, created.id);
    await this.repo.addTransition(tx, {
      referralId: created.id,
      fromStatus: null,
      toStatus: 'sent',
      at: now,
      ...who(actor),
      note: copyAttachmentsFrom ? `converted from advice request ${copyAttachmentsFrom}` : null,
      source: 'api',
    });
    const full = copyAttachmentsFrom ? (await this.repo.find(tx, created.id))! : created;
    await this.emit(tx, { type: 'ReferralSent', referral: full }, actor, ctx, now);
    return full;
  }

  private async transition(
    actor: Actor,
    id: string,
    action: Exclude<Action, 'book' | 'unbook'>,
    text: { note?: string; reason?: string; advice?: string },
    ctx: CallContext,
  ): Promise<ReferralWithAttachments> {
    this.checkId(id);
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const current = await this.lockVisible(tx, actor, id);
      if (action !== 'cancel' && current.targetOdsCode !== actor.odsCode)
        throw notTarget(current, actor);
      const from = statusOf(current);
      const to = nextStatus(from, action, id);
      const data: Prisma.ReferralUncheckedUpdateInput = { status: toDbStatus(to) };
      if (action === 'reject') data.rejectionReason = text.reason!;
      if (action === 'give-advice') data.advice = text.advice!;
      if (action === 'cancel') data.cancellationReason = text.reason!;
      // Closing a referral stops a running clock: completion is first definitive treatment,
      // rejection / advice / cancellation close the pathway.
      let stopReason: RttStopReason | undefined;
      if (!current.rttStoppedAt && to !== 'accepted') {
        stopReason = to === 'completed' ? 'first-definitive-treatment' : 'referral-closed';
        data.rttStoppedAt = now;
        data.rttStopReason = stopReason;
      }
      const updated = await this.repo.update(tx, id, data);
      await this.repo.addTransition(tx, {
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
                : { type: 'ReferralCancelled', referral: updated, reason: text.reason! };
      await this.emit(tx, event, actor, ctx, now);
      if (stopReason)
        await this.emit(
          tx,
          { type: 'RttClockStopped', referral: updated, reason: stopReason },
          actor,
          ctx,
          now,
        );
      return updated;
    }, TX);
  }

  private async list(actor: Actor, side: WorklistQuery['side'], q: ListQuery): Promise<Page> {
    const v = new Violations();
    const take = pageSize(q.pageSize, v, 'page.page_size', 200, 50);
    const nhsNumber = q.nhsNumber ? v.nhsNumber('nhs_number', q.nhsNumber) : undefined;
    v.throwIfAny();
    const statuses = [...new Set(q.statuses)].sort();
    const priorities = [...new Set(q.priorities)].sort();
    // a token is bound to its filters: replayed with another patient it is refused
    const filter = {
      q: side,
      org: actor.odsCode,
      statuses,
      priorities,
      ...(nhsNumber ? { nhs: nhsNumber } : {}),
    };
    const cursor = decodePageToken(q.pageToken, filter, 'page.page_token');
    const query = {
      side,
      odsCode: actor.odsCode,
      statuses: statuses.map(toDbStatus),
      priorities: priorities.map(dbPriority),
      ...(nhsNumber ? { nhsNumber } : {}),
    };
    const [rows, total] = await Promise.all([
      this.repo.worklist(this.prisma, {
        ...query,
        after: cursor ? { sentAt: new Date(cursor.s), id: cursor.i } : undefined,
        take: take + 1,
      }),
      this.repo.countWorklist(this.prisma, query),
    ]);
    const page = rows.slice(0, take);
    const last = page[page.length - 1];
    return {
      referrals: page,
      nextPageToken:
        rows.length > take && last
          ? encodePageToken({ s: last.sentAt.toISOString(), i: last.id }, filter)
          : '',
      total,
    };
  }

  private async lockVisible(
    tx: Prisma.TransactionClient,
    actor: Actor,
    id: string,
  ): Promise<ReferralWithAttachments> {
    const r = await this.repo.lock(tx, id);
    if (!r || !involved(r, actor.odsCode)) throw notFound(id);
    return r;
  }

  private async replay(
    odsCode: string,
    key: string,
    requestHash: string,
  ): Promise<ReferralWithAttachments | undefined> {
    const existing = await this.repo.findByIdempotencyKey(this.prisma, odsCode, key);
    if (!existing) return undefined;
    if (existing.requestHash !== requestHash) {
      throw new ReferralsError(
        ReferralsErrorCode.IdempotencyKeyReused,
        `Idempotency key '${key}' was already used by this organisation for a different referral (${existing.id})`,
        { idempotencyKey: key, referralId: existing.id },
      );
    }
    return existing;
  }

  private async assertPatientReferrable(nhsNumber: string, ctx: CallContext): Promise<void> {
    const standing = await this.patients.standing(nhsNumber, ctx);
    switch (standing.kind) {
      case 'active':
        return;
      case 'not-found':
        throw new ReferralsError(
          ReferralsErrorCode.PatientNotFound,
          `Patient ${nhsNumber} is not known to the identity platform`,
          { nhsNumber },
        );
      case 'deceased':
        throw new ReferralsError(
          ReferralsErrorCode.PatientDeceased,
          `Patient ${nhsNumber} is recorded as deceased (${standing.deceasedAt.toISOString().slice(0, 10)}); a referral cannot be sent`,
          { nhsNumber },
        );
      case 'merged':
        throw new ReferralsError(
          ReferralsErrorCode.PatientMerged,
          `NHS number ${nhsNumber} was merged into ${standing.survivorNhsNumber}: refer using the surviving number`,
          { nhsNumber, survivorNhsNumber: standing.survivorNhsNumber },
        );
    }
  }

  private checkAttachments(list: AttachmentInput[], v: Violations): NewAttachment[] {
    if (list.length > LIMITS.attachments)
      v.add('attachments', 'max-items', `at most ${LIMITS.attachments} attachments per referral`);
    const out: NewAttachment[] = [];
    const tooLarge: string[] = [];
    list.forEach((a, i) => {
      const f = `attachments[${i}]`;
      if (v.required(`${f}.content_type`, a.contentType))
        v.pattern(
          `${f}.content_type`,
          a.contentType,
          MIME,
          'mime-type',
          `${f}.content_type must be a MIME type such as application/pdf`,
        );
      if ((a.title ?? '').length > 200)
        v.add(`${f}.title`, 'max-length', `${f}.title must be at most 200 characters`);
      if (a.data.length === 0) v.add(`${f}.data`, 'required', `${f}.data is empty`);
      if (a.data.length > LIMITS.attachmentBytes) {
        tooLarge.push(
          `${f} is ${a.data.length} bytes; the limit is ${LIMITS.attachmentBytes} bytes (1 MiB)`,
        );
        return;
      }
      const sha256 = sha256Hex(a.data);
      if (a.sha256 && (!SHA256.test(a.sha256) || a.sha256 !== sha256))
        v.add(
          `${f}.sha256`,
          'checksum',
          `${f}.sha256 does not match the data (computed ${sha256})`,
        );
      out.push({
        contentType: a.contentType,
        title: a.title ?? '',
        size: a.data.length,
        sha256,
        data: Uint8Array.from(a.data),
      });
    });
    if (tooLarge.length > 0) {
      throw new ReferralsError(
        ReferralsErrorCode.AttachmentTooLarge,
        `Attachment too large: ${tooLarge.join('; ')}`,
        { limitBytes: String(LIMITS.attachmentBytes) },
        tooLarge.map((message, i) => ({
          field: message.split(' ')[0] ?? `attachments[${i}]`,
          rule: 'max-size',
          message,
        })),
      );
    }
    return out;
  }

  private checkId(id: string): void {
    const v = new Violations();
    v.uuid('referral_id', id);
    v.throwIfAny();
  }

  private requiredText(field: string, value: string, max: number = LIMITS.text): string {
    const v = new Violations();
    if (v.required(field, value) && value.length > max)
      v.add(field, 'max-length', `${field} must be at most ${max} characters`);
    v.throwIfAny();
    return value.trim();
  }

  private optionalText(field: string, value: string | undefined): string {
    if ((value ?? '').length > LIMITS.text)
      throw ReferralsError.invalid([
        {
          field,
          rule: 'max-length',
          message: `${field} must be at most ${LIMITS.text} characters`,
        },
      ]);
    return (value ?? '').trim();
  }

  private emit(
    tx: Prisma.TransactionClient,
    event: ReferralEvent,
    actor: Actor,
    ctx: CallContext,
    now: Date,
  ): Promise<void> {
    return this.events.append(tx, event, {
      actor,
      correlationId: ctx.correlationId,
      occurredAt: now,
    });
  }
}

/** The reason recorded (column, timeline, ReferralCancelled) when a patient's death closes a referral. */
export const PATIENT_DECEASED = 'patient deceased';
/** Actor of changes the platform makes on its own (timeline; events carry it as context.actor). */
export const PLATFORM_SYSTEM_ID = 'trellis-referrals';

/** Date of death clamped to [clock start, now]; now when identity gave no date. */
export function clockStopOnDeath(startedAt: Date, deceasedAt: Date | undefined, now: Date): Date {
  if (!deceasedAt || Number.isNaN(deceasedAt.getTime())) return now;
  const t = Math.min(Math.max(deceasedAt.getTime(), startedAt.getTime()), now.getTime());
  return new Date(t);
}

export interface ListQuery {
  statuses: Status[];
  priorities: Priority[];
  /** Only this patient's referrals ('' or absent: every patient). */
  nhsNumber?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface Page {
  referrals: ReferralWithAttachments[];
  nextPageToken: string;
  /** Every referral the list's filters match (all pages). */
  total: number;
}

function toVersionView(row: VersionRow, current: ReferralWithAttachments): ReferralVersionView {
  return {
    version: row.version,
    referral: referralFromSnapshot(row.snapshot, current.attachments),
    recordedAt: row.recordedAt,
    change: row.change,
  };
}

function involved(r: ReferralRow, odsCode: string): boolean {
  return r.referrerOdsCode === odsCode || r.targetOdsCode === odsCode;
}

function who(actor: Actor): {
  actorSystemId: string;
  actorOdsCode: string;
  actorUserId: string | null;
} {
  return {
    actorSystemId: actor.systemId,
    actorOdsCode: actor.odsCode,
    actorUserId: actor.userId ?? null,
  };
}

function notFound(id: string): ReferralsError {
  return new ReferralsError(ReferralsErrorCode.ReferralNotFound, `Referral ${id} not found`, {
    referralId: id,
  });
}

function notTarget(r: ReferralRow, actor: Actor): ReferralsError {
  return new ReferralsError(
    ReferralsErrorCode.NotTarget,
    `Only the target organisation (${r.targetOdsCode}) can do this; the caller is ${actor.odsCode}. Referral status '${statusOf(r)}'`,
    { referralId: r.id, currentStatus: statusOf(r), targetOdsCode: r.targetOdsCode },
  );
}

function notReferrer(r: ReferralRow, actor: Actor): ReferralsError {
  return new ReferralsError(
    ReferralsErrorCode.NotReferrer,
    `Only the referring organisation (${r.referrerOdsCode}) can do this; the caller is ${actor.odsCode}`,
    { referralId: r.id, referrerOdsCode: r.referrerOdsCode },
  );
}

/** Waiting lists are an organisation's own and its region's own (PERMISSION_DENIED otherwise). */
function notOwnWaitingList(
  field: 'ods_code' | 'region',
  asked: string,
  own: string,
): ReferralsError {
  const what = field === 'ods_code' ? 'organisation' : 'region';
  return new ReferralsError(
    ReferralsErrorCode.NotOwnWaitingList,
    `Only the caller's own ${what}'s waiting list can be read (caller ${own}, requested ${asked})`,
    { requested: asked, caller: own },
    [
      {
        field,
        rule: 'waiting-list.own',
        message: `must be the caller's own ${what} (${own})`,
      },
    ],
  );
}
