import { createHash } from 'node:crypto';

import type { PatientDirectory, PatientLookupContext } from '@trellis/identity-client';

import type { Actor, Clock } from '../domain/ports';
import { fromDbStatus, type Status } from '../domain/referral-state';
import { ReferralsError, ReferralsErrorCode } from '../domain/referrals.errors';
import { sctidProblem } from '../domain/snomed';
import { Violations } from '../domain/validation';
import type { Prisma, ReferralRow, VersionRow } from '../prisma';
import type { ReferralEvent, ReferralEventSink } from './referral-events';
import {
  referralFromSnapshot,
  type NewAttachment,
  type ReferralsRepository,
  type ReferralWithAttachments,
} from './referrals.repository';
import type { WaitingList } from './waiting-lists';

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

export const dbPriority = (p: Priority): ReferralRow['priority'] =>
  p === 'two-week-wait' ? 'two_week_wait' : p;
export const priorityOf = (r: Pick<ReferralRow, 'priority'>): Priority =>
  r.priority === 'two_week_wait' ? 'two-week-wait' : r.priority;
export const statusOf = (r: Pick<ReferralRow, 'status'>): Status => fromDbStatus(r.status);

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Priority, reason (SNOMED CT) and clinical summary: the same rules on send and on update. */
export function checkClinical(
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

export function toVersionView(
  row: VersionRow,
  current: ReferralWithAttachments,
): ReferralVersionView {
  return {
    version: row.version,
    referral: referralFromSnapshot(row.snapshot, current.attachments),
    recordedAt: row.recordedAt,
    change: row.change,
  };
}

export function involved(
  r: Pick<ReferralRow, 'referrerOdsCode' | 'targetOdsCode'>,
  odsCode: string,
): boolean {
  return r.referrerOdsCode === odsCode || r.targetOdsCode === odsCode;
}

export function who(actor: Actor): {
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

export function notFound(id: string): ReferralsError {
  return ReferralsError.notFound(ReferralsErrorCode.ReferralNotFound, 'Referral', 'referralId', id);
}

export function notTarget(r: ReferralRow, actor: Actor): ReferralsError {
  return new ReferralsError(
    ReferralsErrorCode.NotTarget,
    `Only the target organisation (${r.targetOdsCode}) can do this; the caller is ${actor.odsCode}. Referral status '${statusOf(r)}'`,
    { referralId: r.id, currentStatus: statusOf(r), targetOdsCode: r.targetOdsCode },
  );
}

export function notReferrer(r: ReferralRow, actor: Actor): ReferralsError {
  return new ReferralsError(
    ReferralsErrorCode.NotReferrer,
    `Only the referring organisation (${r.referrerOdsCode}) can do this; the caller is ${actor.odsCode}`,
    { referralId: r.id, referrerOdsCode: r.referrerOdsCode },
  );
}

/** Waiting lists are an organisation's own and its region's own (PERMISSION_DENIED otherwise). */
export function notOwnWaitingList(
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

/**
 * What the referral responsibilities (intake, transitions, queries, reactions) share: the ports,
 * creating a referral with its timeline row and ReferralSent, the visibility lock, the patient's
 * standing with identity, text checks and event emission.
 */
export class ReferralSupport {
  constructor(
    readonly repo: ReferralsRepository,
    readonly patients: PatientDirectory,
    readonly events: ReferralEventSink,
    readonly clock: Clock,
  ) {}

  /** Inside a unit of work: its repository, and its transaction for ReferralSent. */
  async createReferral(
    repo: ReferralsRepository,
    tx: Prisma.TransactionClient,
    actor: Actor,
    ctx: CallContext,
    now: Date,
    data: Omit<Prisma.ReferralUncheckedCreateInput, 'sentAt' | 'rttStartedAt' | 'status'>,
    attachments: NewAttachment[],
    copyAttachmentsFrom?: string,
  ): Promise<ReferralWithAttachments> {
    const created = await repo.create(
      { ...data, status: 'sent', sentAt: now, rttStartedAt: now },
      attachments,
    );
    if (copyAttachmentsFrom) await repo.copyAttachments(copyAttachmentsFrom, created.id);
    await repo.addTransition({
      referralId: created.id,
      fromStatus: null,
      toStatus: 'sent',
      at: now,
      ...who(actor),
      note: copyAttachmentsFrom ? `converted from advice request ${copyAttachmentsFrom}` : null,
      source: 'api',
    });
    const full = copyAttachmentsFrom ? (await repo.find(created.id))! : created;
    await this.emit(tx, { type: 'ReferralSent', referral: full }, actor, ctx, now);
    return full;
  }

  async lockVisible(
    repo: ReferralsRepository,
    actor: Actor,
    id: string,
  ): Promise<ReferralWithAttachments> {
    const r = await repo.lock(id);
    if (!r || !involved(r, actor.odsCode)) throw notFound(id);
    return r;
  }

  async assertPatientReferrable(nhsNumber: string, ctx: CallContext): Promise<void> {
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

  checkId(id: string): void {
    const v = new Violations();
    v.uuid('referral_id', id);
    v.throwIfAny();
  }

  requiredText(field: string, value: string, max: number = LIMITS.text): string {
    const v = new Violations();
    if (v.required(field, value) && value.length > max)
      v.add(field, 'max-length', `${field} must be at most ${max} characters`);
    v.throwIfAny();
    return value.trim();
  }

  optionalText(field: string, value: string | undefined): string {
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

  emit(
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
