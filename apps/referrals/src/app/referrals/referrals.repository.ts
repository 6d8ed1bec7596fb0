import {
  Prisma,
  type PrismaClient,
  type ReferralRow,
  type TransitionRow,
  type VersionRow,
} from '../prisma';
import type { Status } from '../domain/referral-state';
import { WAITING_BANDS } from '../domain/rtt';
import {
  afterKeyset,
  keysetOrder,
  PrismaRepository,
  REQUEST_TRANSACTION_LIMITS,
} from '@trellis/database';
import { patientBatchFindArgs, type PatientBatchQuery } from '@trellis/service-kit';

/** Interactive transactions of the referrals: bounded wait for a connection and run time. */

export type ReferralWithAttachments = ReferralRow & {
  attachments: { id: string; contentType: string; title: string; size: number; sha256: string }[];
};

const ATTACHMENT_META = {
  select: { id: true, contentType: true, title: true, size: true, sha256: true },
  orderBy: { createdAt: 'asc' as const },
};

export interface WorklistQuery {
  /** The caller's incoming, sent, either (a patient's referrals); 'patient' = the patient themself. */
  side: 'target' | 'referrer' | 'either' | 'patient';
  odsCode: string;
  statuses: ReferralRow['status'][];
  priorities: ReferralRow['priority'][];
  /** One patient's referrals only (referrals_nhs_number_idx). */
  nhsNumber?: string;
  after?: { sentAt: Date; id: string };
  take: number;
}

function sideFilter(q: Omit<WorklistQuery, 'after' | 'take'>): Prisma.ReferralWhereInput {
  switch (q.side) {
    case 'target':
      return { targetOdsCode: q.odsCode };
    case 'referrer':
      return { referrerOdsCode: q.odsCode };
    case 'either':
      return { OR: [{ targetOdsCode: q.odsCode }, { referrerOdsCode: q.odsCode }] };
    case 'patient':
      // no organisation bound: never without the patient (fail closed, not every referral)
      if (!q.nhsNumber) throw new Error('a patient worklist needs its NHS number');
      return {};
  }
}

function worklistFilter(q: Omit<WorklistQuery, 'after' | 'take'>): Prisma.ReferralWhereInput {
  return {
    ...sideFilter(q),
    ...(q.statuses.length ? { status: { in: q.statuses } } : {}),
    ...(q.priorities.length ? { priority: { in: q.priorities } } : {}),
    ...(q.nhsNumber ? { nhsNumber: q.nhsNumber } : {}),
  };
}

export interface WaitingListRow {
  odsCode: string;
  region: string;
  /** Set when grouped by specialty. */
  specialtyCode?: string;
  total: number;
  bands: number[];
  breached18Weeks: number;
  breachedTwoWeekWait: number;
}

export interface NewAttachment {
  contentType: string;
  title: string;
  size: number;
  sha256: string;
  data: Uint8Array<ArrayBuffer>;
}

export interface TransitionEntry {
  referralId: string;
  fromStatus: string | null;
  toStatus: string;
  at: Date;
  actorSystemId: string;
  actorOdsCode?: string | null;
  actorUserId?: string | null;
  note?: string | null;
  source: 'api' | 'event';
}

/** The only place that talks to Prisma / SQL for referrals. */
export class ReferralsRepository extends PrismaRepository<PrismaClient> {
  protected override readonly transactionOptions = REQUEST_TRANSACTION_LIMITS;
  /** Bulk export's page of some patients' referrals, whoever sent or received them (keyset on id). */
  forPatients(q: PatientBatchQuery): Promise<ReferralWithAttachments[]> {
    return this.db.referral.findMany({
      ...patientBatchFindArgs(q, 'updatedAt'),
      include: { attachments: ATTACHMENT_META },
    });
  }

  find(id: string): Promise<ReferralWithAttachments | null> {
    return this.db.referral.findUnique({
      where: { id },
      include: { attachments: ATTACHMENT_META },
    });
  }

  /** Row lock for a state change (serialises concurrent transitions on one referral). */
  async lock(id: string): Promise<ReferralWithAttachments | null> {
    const rows = await this.db.$queryRaw<
      { id: string }[]
    >`SELECT id::text FROM referrals WHERE id = ${id}::uuid FOR UPDATE`;
    if (rows.length === 0) return null;
    return this.find(id);
  }

  findByIdempotencyKey(
    referrerOdsCode: string,
    key: string,
  ): Promise<ReferralWithAttachments | null> {
    return this.db.referral.findUnique({
      where: { referrerOdsCode_idempotencyKey: { referrerOdsCode, idempotencyKey: key } },
      include: { attachments: ATTACHMENT_META },
    });
  }

  /** One attachment with its content and the referral it belongs to (for the visibility check). */
  findAttachment(id: string) {
    return this.db.referralAttachment.findUnique({
      where: { id },
      include: {
        referral: { select: { nhsNumber: true, referrerOdsCode: true, targetOdsCode: true } },
      },
    });
  }

  /** Inserts a referral with its attachments (one nested write) and returns it with metadata. */
  create(
    data: Prisma.ReferralUncheckedCreateInput,
    attachments: NewAttachment[],
  ): Promise<ReferralWithAttachments> {
    return this.db.referral.create({
      data: {
        ...data,
        ...(attachments.length > 0 ? { attachments: { createMany: { data: attachments } } } : {}),
      },
      include: { attachments: ATTACHMENT_META },
    });
  }

  /** Copies another referral's attachments (advice converted into a referral). */
  async copyAttachments(fromId: string, toId: string): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO referral_attachments (id, referral_id, content_type, title, size, sha256, data, created_at)
      SELECT gen_random_uuid(), ${toId}::uuid, content_type, title, size, sha256, data, created_at
        FROM referral_attachments WHERE referral_id = ${fromId}::uuid`;
  }

  async update(
    id: string,
    data: Prisma.ReferralUncheckedUpdateInput,
  ): Promise<ReferralWithAttachments> {
    await this.db.referral.update({ where: { id }, data: { ...data, version: { increment: 1 } } });
    return (await this.find(id))!;
  }

  /** A timeline row as given (its fields are the table's; an absent actor or note is stored NULL). */
  async addTransition(e: TransitionEntry): Promise<void> {
    await this.db.referralTransition.create({ data: e });
  }

  /** One stored version (written by the `referrals_version_snapshot` trigger). */
  findVersion(id: string, version: number): Promise<VersionRow | null> {
    return this.db.referralVersion.findUnique({
      where: { referralId_version: { referralId: id, version } },
    });
  }

  /** Stored versions, newest first, below `before` (exclusive) when given. */
  listVersions(id: string, q: { before?: number; take: number }): Promise<VersionRow[]> {
    return this.db.referralVersion.findMany({
      where: { referralId: id, ...(q.before !== undefined ? { version: { lt: q.before } } : {}) },
      orderBy: { version: 'desc' },
      take: q.take,
    });
  }

  countVersions(id: string): Promise<number> {
    return this.db.referralVersion.count({ where: { referralId: id } });
  }

  timeline(id: string): Promise<TransitionRow[]> {
    return this.db.referralTransition.findMany({
      where: { referralId: id },
      orderBy: { id: 'asc' },
    });
  }

  worklist(q: WorklistQuery): Promise<ReferralWithAttachments[]> {
    // AND, not a spread: the 'either' side filter is an OR of its own
    const where: Prisma.ReferralWhereInput = {
      AND: [
        worklistFilter(q),
        q.after ? afterKeyset('sentAt', { at: q.after.sentAt, id: q.after.id }) : {},
      ],
    };
    return this.db.referral.findMany({
      where,
      orderBy: keysetOrder('sentAt'),
      take: q.take,
      include: { attachments: ATTACHMENT_META },
    });
  }

  /** How many referrals a worklist's filters match (its total, every page). */
  countWorklist(q: Omit<WorklistQuery, 'after' | 'take'>): Promise<number> {
    return this.db.referral.count({ where: worklistFilter(q) });
  }

  /**
   * Open RTT pathways (clock running) aggregated in SQL per provider: counts by weeks-waited band
   * and breach counts as of `now` (same rules as domain/rtt.ts).
   */
  async waitingList(
    by: { odsCode: string } | { region: string },
    now: Date,
    bySpecialty = false,
  ): Promise<WaitingListRow[]> {
    const filter =
      'odsCode' in by
        ? Prisma.sql`target_ods_code = ${by.odsCode}`
        : Prisma.sql`target_region = ${by.region}`;
    // the specialty column is in every row; it is grouped on only when asked
    const specialty = bySpecialty ? Prisma.sql`specialty_code` : Prisma.sql`''::text`;
    const groupBy = bySpecialty
      ? Prisma.sql`GROUP BY target_ods_code, target_region, specialty_code ORDER BY target_ods_code, specialty_code`
      : Prisma.sql`GROUP BY target_ods_code, target_region ORDER BY target_ods_code`;
    const rows = await this.db.$queryRaw<
      {
        ods_code: string;
        region: string;
        specialty_code: string;
        total: bigint;
        b0: bigint;
        b1: bigint;
        b2: bigint;
        b3: bigint;
        b4: bigint;
        b5: bigint;
        breached_18: bigint;
        breached_2ww: bigint;
      }[]
    >`
      SELECT target_ods_code AS ods_code, target_region AS region,
             ${specialty} AS specialty_code,
             count(*) AS total,
             count(*) FILTER (WHERE d / 7 BETWEEN 0 AND 5) AS b0,
             count(*) FILTER (WHERE d / 7 BETWEEN 6 AND 11) AS b1,
             count(*) FILTER (WHERE d / 7 BETWEEN 12 AND 17) AS b2,
             count(*) FILTER (WHERE d / 7 BETWEEN 18 AND 25) AS b3,
             count(*) FILTER (WHERE d / 7 BETWEEN 26 AND 51) AS b4,
             count(*) FILTER (WHERE d / 7 >= 52) AS b5,
             count(*) FILTER (WHERE d > 126) AS breached_18,
             count(*) FILTER (WHERE priority = 'two-week-wait'
                                AND coalesce(fa, d) > 14) AS breached_2ww
        FROM (SELECT target_ods_code, target_region, priority, specialty_code,
                     greatest(0, (${now}::timestamptz AT TIME ZONE 'UTC')::date
                                 - (rtt_started_at AT TIME ZONE 'UTC')::date) AS d,
                     (first_appointment_at AT TIME ZONE 'UTC')::date
                       - (rtt_started_at AT TIME ZONE 'UTC')::date AS fa
                FROM referrals
               WHERE rtt_stopped_at IS NULL AND ${filter}) open
       ${groupBy}`;
    if (WAITING_BANDS.length !== 6) throw new Error('waiting bands and SQL disagree');
    return rows.map((r) => ({
      odsCode: r.ods_code,
      region: r.region,
      ...(bySpecialty ? { specialtyCode: r.specialty_code } : {}),
      total: Number(r.total),
      bands: [r.b0, r.b1, r.b2, r.b3, r.b4, r.b5].map(Number),
      breached18Weeks: Number(r.breached_18),
      breachedTwoWeekWait: Number(r.breached_2ww),
    }));
  }

  /**
   * identity's PatientDeceased: row-locks (in id order, so two reactions cannot deadlock) the
   * patient's referrals in one of `statuses` (the SQL enum labels are the wire names such as
   * `advice-given`; Prisma's `advice_given` is only its client-side name), leaving out
   * advice-given requests already converted into a referral (that referral carries the pathway
   * on). A row whose status changed while we waited for its lock is re-checked by PostgreSQL and
   * left out.
   */
  async lockOpenOfPatient(nhsNumber: string, statuses: readonly Status[]): Promise<string[]> {
    const rows = await this.db.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM referrals
       WHERE nhs_number = ${nhsNumber}
         AND status::text = ANY(${[...statuses]}::text[])
         AND NOT (status = 'advice-given' AND converted_to_referral_id IS NOT NULL)
       ORDER BY id
         FOR UPDATE`;
    return rows.map((r) => r.id);
  }

  /** identity's PatientMerged: the superseded number's referrals now belong to the survivor. */
  async reassignPatient(from: string, to: string): Promise<string[]> {
    const rows = await this.db.$queryRaw<{ id: string }[]>`
      UPDATE referrals
         SET nhs_number = ${to}, merged_from_nhs_number = ${from}, version = version + 1, updated_at = now()
       WHERE nhs_number = ${from}
      RETURNING id::text`;
    return rows.map((r) => r.id);
  }
}

/**
 * A stored version's snapshot (`to_jsonb` of the referrals row: snake_case keys, database enum
 * labels, ISO timestamps) as a referral row; attachments never change after creation, so the
 * current ones are used.
 */
export function referralFromSnapshot(
  snapshot: Prisma.JsonValue,
  attachments: ReferralWithAttachments['attachments'],
): ReferralWithAttachments {
  const j = (snapshot ?? {}) as Record<string, unknown>;
  const str = (k: string): string => String(j[k] ?? '');
  const opt = (k: string): string | null => (j[k] === null || j[k] === undefined ? null : str(k));
  const date = (k: string): Date => new Date(str(k));
  const optDate = (k: string): Date | null => (opt(k) === null ? null : date(k));
  const status = str('status');
  const priority = str('priority');
  return {
    id: str('id'),
    nhsNumber: str('nhs_number'),
    mergedFromNhsNumber: opt('merged_from_nhs_number'),
    referrerOdsCode: str('referrer_ods_code'),
    referrerRegion: str('referrer_region'),
    referrerPractitionerId: str('referrer_practitioner_id'),
    targetOdsCode: str('target_ods_code'),
    targetRegion: str('target_region'),
    specialtyCode: str('specialty_code'),
    priority: (priority === 'two-week-wait'
      ? 'two_week_wait'
      : priority) as ReferralRow['priority'],
    reasonCode: str('reason_code'),
    reasonDisplay: str('reason_display'),
    clinicalSummary: str('clinical_summary'),
    status: (status === 'advice-given' ? 'advice_given' : status) as ReferralRow['status'],
    sentAt: date('sent_at'),
    rttStartedAt: date('rtt_started_at'),
    rttStoppedAt: optDate('rtt_stopped_at'),
    rttStopReason: opt('rtt_stop_reason'),
    firstAppointmentAt: optDate('first_appointment_at'),
    appointmentId: opt('appointment_id'),
    rejectionReason: opt('rejection_reason'),
    advice: opt('advice'),
    cancellationReason: opt('cancellation_reason'),
    returnReason: opt('return_reason'),
    basedOnReferralId: opt('based_on_referral_id'),
    convertedToReferralId: opt('converted_to_referral_id'),
    bookingFlagged: j['booking_flagged'] === true,
    idempotencyKey: str('idempotency_key'),
    requestHash: '',
    version: Number(j['version'] ?? 0),
    createdAt: date('created_at'),
    updatedAt: date('updated_at'),
    attachments,
  };
}
