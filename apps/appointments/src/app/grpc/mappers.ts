import {
  appointments,
  fromOptionalTimestamp,
  type TimestampLike,
  toTimestamp,
} from '@trellis/contracts';

import type { AppointmentState } from '../domain/appointment-state';
import type { AppointmentRow, ScheduleRow, SlotRow } from '../prisma';
import type { AppointmentVersionRow } from '../booking/booking.repository';
import type { Period } from '../booking/booking.service';

const pb = appointments.v1;

const SLOT_STATUS: Record<SlotRow['status'], appointments.v1.SlotStatus> = {
  free: pb.SlotStatus.SLOT_STATUS_FREE,
  busy: pb.SlotStatus.SLOT_STATUS_BUSY,
  busy_unavailable: pb.SlotStatus.SLOT_STATUS_BUSY_UNAVAILABLE,
};

const APPOINTMENT_STATUS: Record<AppointmentState, appointments.v1.AppointmentStatus> = {
  booked: pb.AppointmentStatus.APPOINTMENT_STATUS_BOOKED,
  arrived: pb.AppointmentStatus.APPOINTMENT_STATUS_ARRIVED,
  fulfilled: pb.AppointmentStatus.APPOINTMENT_STATUS_FULFILLED,
  cancelled: pb.AppointmentStatus.APPOINTMENT_STATUS_CANCELLED,
  noshow: pb.AppointmentStatus.APPOINTMENT_STATUS_NOSHOW,
};

export function scheduleToProto(s: ScheduleRow): appointments.v1.Schedule {
  return {
    id: s.id,
    odsCode: s.odsCode,
    serviceType: s.serviceType,
    specialty: s.specialty ?? '',
    practitionerId: s.practitionerId ?? '',
    region: s.region,
    bookableByOdsCodes: s.bookableByOdsCodes,
    bookableByOrgTypes: s.bookableByOrgTypes,
    name: s.name,
    createdAt: toTimestamp(s.createdAt),
    idempotencyKey: s.idempotencyKey ?? '',
  };
}

export function slotToProto(s: SlotRow): appointments.v1.Slot {
  return {
    id: s.id,
    scheduleId: s.scheduleId,
    start: toTimestamp(s.startAt),
    end: toTimestamp(s.endAt),
    status: SLOT_STATUS[s.status],
    odsCode: s.odsCode,
    serviceType: s.serviceType,
    region: s.region,
    practitionerId: s.practitionerId ?? '',
    version: s.version,
    updatedAt: toTimestamp(s.updatedAt),
    idempotencyKey: s.idempotencyKey ?? '',
  };
}

export function appointmentVersionToProto(
  v: AppointmentVersionRow,
): appointments.v1.AppointmentVersion {
  return {
    appointment: appointmentToProto(v.appointment),
    version: v.version,
    change: v.change,
    recordedAt: toTimestamp(v.recordedAt),
    changedByOdsCode: v.changedByOds ?? '',
  };
}

export function appointmentToProto(a: AppointmentRow): appointments.v1.Appointment {
  return {
    id: a.id,
    nhsNumber: a.nhsNumber,
    slotId: a.slotId,
    scheduleId: a.scheduleId,
    status: APPOINTMENT_STATUS[a.status],
    start: toTimestamp(a.startAt),
    end: toTimestamp(a.endAt),
    odsCode: a.odsCode,
    region: a.region,
    serviceType: a.serviceType,
    bookingOdsCode: a.bookingOdsCode,
    referralId: a.referralId ?? '',
    cancellationReason: a.cancellationReason ?? '',
    createdAt: toTimestamp(a.createdAt),
    updatedAt: toTimestamp(a.updatedAt),
    version: a.version,
    practitionerId: a.practitionerId ?? '',
  };
}

/** Slot status from the wire; enums may arrive as numbers or names depending on the loader. */
export function slotStatusFromProto(v: unknown): 'free' | 'busy' | 'busy_unavailable' | undefined {
  const n = typeof v === 'string' ? (pb.SlotStatus as unknown as Record<string, number>)[v] : v;
  switch (n) {
    case pb.SlotStatus.SLOT_STATUS_FREE:
      return 'free';
    case pb.SlotStatus.SLOT_STATUS_BUSY:
      return 'busy';
    case pb.SlotStatus.SLOT_STATUS_BUSY_UNAVAILABLE:
      return 'busy_unavailable';
    default:
      return undefined;
  }
}

export function periodFromProto(v: unknown): Period {
  const n =
    typeof v === 'string' ? (pb.AppointmentPeriod as unknown as Record<string, number>)[v] : v;
  if (n === pb.AppointmentPeriod.APPOINTMENT_PERIOD_PAST) return 'past';
  if (n === pb.AppointmentPeriod.APPOINTMENT_PERIOD_ALL) return 'all';
  return 'upcoming';
}

export function dateFromProto(t: TimestampLike | undefined | null): Date | undefined {
  return fromOptionalTimestamp(t);
}

export function pageResponse(nextPageToken: string): { nextPageToken: string } {
  return { nextPageToken };
}
