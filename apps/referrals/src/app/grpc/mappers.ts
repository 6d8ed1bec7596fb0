import { protoStrings, referrals, toTimestamp } from '@trellis/contracts';

import type { Status } from '../domain/referral-state';
import { rttStatus, type RttStopReason } from '../domain/rtt';
import type { TransitionRow } from '../prisma';
import type { ReferralWithAttachments } from '../referrals/referrals.repository';
import {
  priorityOf,
  statusOf,
  type Priority,
  type ReferralVersionView,
  type WaitingList,
} from '../referrals/referrals.service';

const V = referrals.v1;

const STATUS: Record<Status, referrals.v1.ReferralStatus> = {
  sent: V.ReferralStatus.REFERRAL_STATUS_SENT,
  accepted: V.ReferralStatus.REFERRAL_STATUS_ACCEPTED,
  rejected: V.ReferralStatus.REFERRAL_STATUS_REJECTED,
  'advice-given': V.ReferralStatus.REFERRAL_STATUS_ADVICE_GIVEN,
  booked: V.ReferralStatus.REFERRAL_STATUS_BOOKED,
  completed: V.ReferralStatus.REFERRAL_STATUS_COMPLETED,
  cancelled: V.ReferralStatus.REFERRAL_STATUS_CANCELLED,
  returned: V.ReferralStatus.REFERRAL_STATUS_RETURNED,
};
const PRIORITY: Record<Priority, referrals.v1.ReferralPriority> = {
  routine: V.ReferralPriority.REFERRAL_PRIORITY_ROUTINE,
  urgent: V.ReferralPriority.REFERRAL_PRIORITY_URGENT,
  'two-week-wait': V.ReferralPriority.REFERRAL_PRIORITY_TWO_WEEK_WAIT,
};
const STOP: Record<RttStopReason, referrals.v1.RttStopReason> = {
  'first-definitive-treatment': V.RttStopReason.RTT_STOP_REASON_FIRST_DEFINITIVE_TREATMENT,
  'decision-not-to-treat': V.RttStopReason.RTT_STOP_REASON_DECISION_NOT_TO_TREAT,
  'referral-closed': V.RttStopReason.RTT_STOP_REASON_REFERRAL_CLOSED,
};

function invert<K extends string, V2 extends number>(m: Record<K, V2>): Map<number, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
}
const STATUS_BY_NUM = invert(STATUS);
const PRIORITY_BY_NUM = invert(PRIORITY);
const STOP_BY_NUM = invert(STOP);

/** Proto enum numbers (unknown / unspecified dropped by the caller's validation). */
export function statusFromProto(n: number): Status | undefined {
  return STATUS_BY_NUM.get(n);
}
export function priorityFromProto(n: number | undefined): Priority | undefined {
  return n === undefined ? undefined : PRIORITY_BY_NUM.get(n);
}
export function stopReasonFromProto(n: number | undefined): RttStopReason | undefined {
  return n === undefined ? undefined : STOP_BY_NUM.get(n);
}

export function referralToProto(r: ReferralWithAttachments, now: Date): referrals.v1.Referral {
  const priority = priorityOf(r);
  const rtt = rttStatus(
    {
      priority,
      startedAt: r.rttStartedAt,
      stoppedAt: r.rttStoppedAt,
      firstAppointmentAt: r.firstAppointmentAt,
    },
    now,
  );
  return {
    id: r.id,
    nhsNumber: r.nhsNumber,
    referrer: {
      odsCode: r.referrerOdsCode,
      region: r.referrerRegion,
      practitionerId: r.referrerPractitionerId,
    },
    target: { odsCode: r.targetOdsCode, region: r.targetRegion, specialtyCode: r.specialtyCode },
    priority: PRIORITY[priority],
    reason: { code: r.reasonCode, display: r.reasonDisplay },
    clinicalSummary: r.clinicalSummary,
    attachments: r.attachments.map((a) => ({
      id: a.id,
      contentType: a.contentType,
      title: a.title,
      size: a.size,
      sha256: a.sha256,
    })),
    status: STATUS[statusOf(r)],
    sentAt: toTimestamp(r.sentAt),
    updatedAt: toTimestamp(r.updatedAt),
    version: r.version,
    rtt: {
      startedAt: toTimestamp(r.rttStartedAt),
      stoppedAt: r.rttStoppedAt ? toTimestamp(r.rttStoppedAt) : undefined,
      stopReason: r.rttStopReason
        ? STOP[r.rttStopReason as RttStopReason]
        : V.RttStopReason.RTT_STOP_REASON_UNSPECIFIED,
      running: rtt.running,
      daysWaited: rtt.daysWaited,
      weeksWaited: rtt.weeksWaited,
      breached18Weeks: rtt.breached18Weeks,
      breachedTwoWeekWait: rtt.breachedTwoWeekWait,
      breachDate: rtt.breachDate,
      twoWeekWaitBreachDate: rtt.twoWeekWaitBreachDate ?? '',
      firstAppointmentAt: r.firstAppointmentAt ? toTimestamp(r.firstAppointmentAt) : undefined,
    },
    ...protoStrings(
      r,
      'rejectionReason',
      'advice',
      'cancellationReason',
      'returnReason',
      'appointmentId',
      'basedOnReferralId',
      'convertedToReferralId',
    ),
    bookingFlagged: r.bookingFlagged,
    idempotencyKey: r.idempotencyKey,
  };
}

export function versionToProto(v: ReferralVersionView, now: Date): referrals.v1.ReferralVersion {
  return {
    version: v.version,
    referral: referralToProto(v.referral, now),
    recordedAt: toTimestamp(v.recordedAt),
    change: v.change,
  };
}

export function timelineEntryToProto(t: TransitionRow): referrals.v1.TimelineEntry {
  return {
    fromStatus: t.fromStatus ?? '',
    toStatus: t.toStatus,
    at: toTimestamp(t.at),
    actorSystemId: t.actorSystemId,
    actorOdsCode: t.actorOdsCode ?? '',
    actorUserId: t.actorUserId ?? '',
    note: t.note ?? '',
    source: t.source,
  };
}

export function waitingListToProto(w: WaitingList): referrals.v1.WaitingList {
  return { ...w, specialtyCode: w.specialtyCode ?? '', bands: w.bands.map((b) => ({ ...b })) };
}
