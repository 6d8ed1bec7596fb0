import { randomUUID } from 'node:crypto';

import {
  afterKeyset,
  keysetOrder,
  PrismaRepository,
  REQUEST_TRANSACTION_LIMITS,
} from '@trellis/database';
import { patientBatchFindArgs, type PatientBatchQuery } from '@trellis/service-kit';

import {
  Prisma,
  type AppointmentRow,
  type PrismaClient,
  type ScheduleRow,
  type SlotRow,
} from '../prisma';

/** Interactive transactions of the bookings: bounded wait for a connection and run time. */

export type ScheduleRules = Pick<
  ScheduleRow,
  'id' | 'odsCode' | 'serviceType' | 'bookableByOdsCodes' | 'bookableByOrgTypes'
>;
export type SlotWithSchedule = SlotRow & { schedule: ScheduleRules };

interface SlotJoinRow {
  id: string;
  schedule_id: string;
  start_at: Date;
  end_at: Date;
  status: string;
  ods_code: string;
  service_type: string;
  region: string;
  practitioner_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  idempotency_key: string | null;
  request_hash: string | null;
  sc_ods_code: string;
  sc_service_type: string;
  bookable_by_ods_codes: string[];
  bookable_by_org_types: string[];
}

interface AppointmentSqlRow {
  id: string;
  nhs_number: string;
  slot_id: string;
  schedule_id: string;
  status: string;
  start_at: Date;
  end_at: Date;
  ods_code: string;
  region: string;
  service_type: string;
  practitioner_id: string | null;
  booking_ods_code: string;
  booking_region: string;
  referral_id: string | null;
  idempotency_key: string;
  request_hash: string;
  cancellation_reason: string | null;
  cancelled_at: Date | null;
  arrived_at: Date | null;
  fulfilled_at: Date | null;
  noshow_at: Date | null;
  merged_from_nhs_number: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** What changed in one recorded version (appointment_versions.change). */
export type VersionChange =
  'booked' | 'cancelled' | 'rescheduled' | 'arrived' | 'fulfilled' | 'noshow' | 'patient-merged';

/** One appointment_versions row: the appointment as it was after the change. */
export interface AppointmentVersionRow {
  appointment: AppointmentRow;
  version: number;
  change: string;
  changedByOds: string | null;
  recordedAt: Date;
}

interface VersionSqlRow {
  version: number;
  change: string;
  changed_by_ods: string | null;
  recorded_at: Date;
  /** to_jsonb(appointments.*): the columns, timestamps as ISO strings. */
  snapshot: Record<keyof AppointmentSqlRow, string | number | null>;
}

function toVersionRow(r: VersionSqlRow): AppointmentVersionRow {
  return {
    appointment: toAppointmentRow(r.snapshot as unknown as AppointmentSqlRow),
    version: Number(r.version),
    change: r.change,
    changedByOds: r.changed_by_ods,
    recordedAt: new Date(r.recorded_at),
  };
}

function toAppointmentRow(r: AppointmentSqlRow): AppointmentRow {
  return {
    id: r.id,
    nhsNumber: r.nhs_number,
    slotId: r.slot_id,
    scheduleId: r.schedule_id,
    status: r.status as AppointmentRow['status'],
    startAt: new Date(r.start_at),
    endAt: new Date(r.end_at),
    odsCode: r.ods_code,
    region: r.region,
    serviceType: r.service_type,
    practitionerId: r.practitioner_id,
    bookingOdsCode: r.booking_ods_code,
    bookingRegion: r.booking_region,
    referralId: r.referral_id,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    cancellationReason: r.cancellation_reason,
    cancelledAt: r.cancelled_at && new Date(r.cancelled_at),
    arrivedAt: r.arrived_at && new Date(r.arrived_at),
    fulfilledAt: r.fulfilled_at && new Date(r.fulfilled_at),
    noShowAt: r.noshow_at && new Date(r.noshow_at),
    mergedFromNhsNumber: r.merged_from_nhs_number,
    version: Number(r.version),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export interface NewAppointment {
  slotId: string;
  nhsNumber: string;
  bookingOdsCode: string;
  bookingRegion: string;
  referralId: string | null;
  idempotencyKey: string;
  requestHash: string;
}

export interface Keyset {
  start: Date;
  id: string;
}

/** The only place booking talks to Prisma. */
export class BookingRepository extends PrismaRepository<PrismaClient> {
  protected override readonly transactionOptions = REQUEST_TRANSACTION_LIMITS;
  /** The slot and its schedule's booking rules, in one round trip. */
  async findSlot(id: string): Promise<SlotWithSchedule | null> {
    const rows = await this.db.$queryRaw<SlotJoinRow[]>`
      SELECT s.id::text, s.schedule_id::text, s.start_at, s.end_at, s.status::text, s.ods_code, s.service_type,
             s.region, s.practitioner_id, s.version, s.created_at, s.updated_at, s.idempotency_key,
             s.request_hash, sc.ods_code AS sc_ods_code, sc.service_type AS sc_service_type,
             sc.bookable_by_ods_codes, sc.bookable_by_org_types
        FROM slots s JOIN schedules sc ON sc.id = s.schedule_id
       WHERE s.id = ${id}::uuid`;
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      scheduleId: r.schedule_id,
      startAt: new Date(r.start_at),
      endAt: new Date(r.end_at),
      status:
        r.status === 'busy-unavailable' ? 'busy_unavailable' : (r.status as SlotRow['status']),
      odsCode: r.ods_code,
      serviceType: r.service_type,
      region: r.region,
      practitionerId: r.practitioner_id,
      version: Number(r.version),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
      idempotencyKey: r.idempotency_key,
      requestHash: r.request_hash,
      schedule: {
        id: r.schedule_id,
        odsCode: r.sc_ods_code,
        serviceType: r.sc_service_type,
        bookableByOdsCodes: r.bookable_by_ods_codes ?? [],
        bookableByOrgTypes: r.bookable_by_org_types ?? [],
      },
    };
  }

  /**
   * The double-booking guard and the insert in one statement:
   * `UPDATE slots SET status = 'busy' WHERE id = $1 AND status = 'free'` feeds the INSERT, so no
   * row is inserted unless this transaction won the slot. Concurrent claimers serialise on the
   * slot's row lock; every one after the first re-checks status = 'busy' and claims nothing
   * (undefined). The partial unique index appointments_one_active_per_slot is the second,
   * independent guarantee; the idempotency index raises a unique violation for a reused key.
   */
  async claimSlotAndCreate(a: NewAppointment): Promise<AppointmentRow | undefined> {
    const rows = await this.db.$queryRaw<AppointmentSqlRow[]>`
      WITH claimed AS (
        UPDATE slots SET status = 'busy', version = version + 1, updated_at = now()
         WHERE id = ${a.slotId}::uuid AND status = 'free'
        RETURNING id, schedule_id, start_at, end_at, ods_code, region, service_type, practitioner_id
      )
      INSERT INTO appointments (id, nhs_number, slot_id, schedule_id, status, start_at, end_at, ods_code, region,
                                service_type, practitioner_id, booking_ods_code, booking_region, referral_id,
                                idempotency_key, request_hash, updated_at)
      SELECT ${randomUUID()}::uuid, ${a.nhsNumber}, c.id, c.schedule_id, 'booked', c.start_at, c.end_at, c.ods_code,
             c.region, c.service_type, c.practitioner_id, ${a.bookingOdsCode}, ${a.bookingRegion}, ${a.referralId},
             ${a.idempotencyKey}, ${a.requestHash}, now()
        FROM claimed c
      RETURNING id::text, nhs_number, slot_id::text, schedule_id::text, status::text, start_at, end_at, ods_code, region,
                service_type, practitioner_id, booking_ods_code, booking_region, referral_id, idempotency_key,
                request_hash, cancellation_reason, cancelled_at, arrived_at, fulfilled_at, noshow_at,
                merged_from_nhs_number, version, created_at, updated_at`;
    const r = rows[0];
    return r ? toAppointmentRow(r) : undefined;
  }

  findAppointment(id: string): Promise<AppointmentRow | null> {
    return this.db.appointment.findUnique({ where: { id } });
  }

  findByIdempotencyKey(
    bookingOdsCode: string,
    idempotencyKey: string,
  ): Promise<AppointmentRow | null> {
    return this.db.appointment.findUnique({
      where: { bookingOdsCode_idempotencyKey: { bookingOdsCode, idempotencyKey } },
    });
  }

  /**
   * The double-booking guard: `UPDATE slots SET status = 'busy' WHERE id = $1 AND status = 'free'`.
   * Concurrent claimers of one slot serialise on its row lock; every one after the first sees
   * status = 'busy' on re-check and updates 0 rows. (The partial unique index
   * appointments_one_active_per_slot is the second, independent guarantee.)
   */
  async claimSlot(slotId: string): Promise<boolean> {
    const { count } = await this.db.slot.updateMany({
      where: { id: slotId, status: 'free' },
      data: { status: 'busy', version: { increment: 1 } },
    });
    return count === 1;
  }

  async releaseSlot(slotId: string): Promise<void> {
    await this.db.slot.updateMany({
      where: { id: slotId, status: 'busy' },
      data: { status: 'free', version: { increment: 1 } },
    });
  }

  /** Locks the appointment row for the rest of the transaction and returns it. */
  async lockAppointment(id: string): Promise<AppointmentRow | null> {
    await this.db.$queryRaw`SELECT id FROM appointments WHERE id = ${id}::uuid FOR UPDATE`;
    return this.db.appointment.findUnique({ where: { id } });
  }

  updateAppointment(id: string, data: Prisma.AppointmentUpdateInput): Promise<AppointmentRow> {
    return this.db.appointment.update({
      where: { id },
      data: { ...data, version: { increment: 1 } },
    });
  }

  /** Bulk export's page of some patients' appointments, whoever holds them (keyset on id). */
  forPatients(q: PatientBatchQuery): Promise<AppointmentRow[]> {
    return this.db.appointment.findMany(patientBatchFindArgs(q, 'updatedAt'));
  }

  /** A patient's appointments the organisation is involved in (provider or booker). */
  listForPatient(args: {
    nhsNumber: string;
    /** Only appointments this organisation provides or booked; absent: all of the patient's. */
    odsCode?: string;
    period: 'upcoming' | 'past' | 'all';
    now: Date;
    after?: Keyset;
    take: number;
  }): Promise<AppointmentRow[]> {
    const direction = args.period === 'past' ? 'desc' : 'asc';
    const time: Prisma.DateTimeFilter =
      args.period === 'upcoming'
        ? { gte: args.now }
        : args.period === 'past'
          ? { lt: args.now }
          : {};
    const and: Prisma.AppointmentWhereInput[] = [{ nhsNumber: args.nhsNumber }, { startAt: time }];
    if (args.odsCode !== undefined)
      and.push({ OR: [{ odsCode: args.odsCode }, { bookingOdsCode: args.odsCode }] });
    if (args.after)
      and.push(afterKeyset('startAt', { at: args.after.start, id: args.after.id }, direction));
    return this.db.appointment.findMany({
      where: { AND: and },
      orderBy: keysetOrder('startAt', direction),
      take: args.take,
    });
  }

  dayList(args: {
    odsCode: string;
    from: Date;
    to: Date;
    includeCancelled: boolean;
    after?: Keyset;
    take: number;
  }): Promise<AppointmentRow[]> {
    const and: Prisma.AppointmentWhereInput[] = [
      { odsCode: args.odsCode },
      { startAt: { gte: args.from, lt: args.to } },
    ];
    if (!args.includeCancelled) and.push({ status: { not: 'cancelled' } });
    if (args.after) and.push(afterKeyset('startAt', { at: args.after.start, id: args.after.id }));
    return this.db.appointment.findMany({
      where: { AND: and },
      orderBy: [{ startAt: 'asc' }, { id: 'asc' }],
      take: args.take,
    });
  }

  /** Booked appointments of a patient starting at or after `from`, locked for update. */
  async lockBookedFrom(nhsNumber: string, from: Date): Promise<AppointmentRow[]> {
    const ids = await this.db.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM appointments
       WHERE nhs_number = ${nhsNumber} AND status = 'booked' AND start_at >= ${from}
       ORDER BY start_at, id
       FOR UPDATE`;
    if (ids.length === 0) return [];
    return this.db.appointment.findMany({
      where: { id: { in: ids.map((r) => r.id) } },
      orderBy: [{ startAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** Moves the superseded number's appointments to the survivor; returns the ids moved. */
  async reassignPatient(fromNhsNumber: string, toNhsNumber: string): Promise<string[]> {
    const rows = await this.db.appointment.updateManyAndReturn({
      where: { nhsNumber: fromNhsNumber },
      data: {
        nhsNumber: toNhsNumber,
        mergedFromNhsNumber: fromNhsNumber,
        version: { increment: 1 },
      },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /**
   * Records the current state of these appointments as their new version. Call inside the
   * transaction of the change, after it: the snapshot is the row as PostgreSQL now holds it, and
   * (appointment_id, version) is the primary key, so a change that forgot to bump the version fails.
   */
  async recordVersions(
    ids: readonly string[],
    change: VersionChange,
    by: { systemId?: string; odsCode?: string } = {},
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.db.$executeRaw`
      INSERT INTO appointment_versions (appointment_id, version, change, changed_by, changed_by_ods, recorded_at, snapshot)
      SELECT a.id, a.version, ${change}, ${by.systemId ?? null}, ${by.odsCode ?? null}, a.updated_at, to_jsonb(a.*)
        FROM appointments a
       WHERE a.id = ANY(${[...ids]}::uuid[])`;
  }

  async findVersion(id: string, version: number): Promise<AppointmentVersionRow | null> {
    const rows = await this.db.$queryRaw<VersionSqlRow[]>`
      SELECT version, change, changed_by_ods, recorded_at, snapshot
        FROM appointment_versions
       WHERE appointment_id = ${id}::uuid AND version = ${version}`;
    return rows[0] ? toVersionRow(rows[0]) : null;
  }

  /** Versions newest first, below `beforeVersion` when given. */
  async listVersions(
    id: string,
    beforeVersion: number | undefined,
    take: number,
  ): Promise<AppointmentVersionRow[]> {
    const rows = await this.db.$queryRaw<VersionSqlRow[]>`
      SELECT version, change, changed_by_ods, recorded_at, snapshot
        FROM appointment_versions
       WHERE appointment_id = ${id}::uuid AND version < ${beforeVersion ?? 2147483647}
       ORDER BY version DESC
       LIMIT ${take}`;
    return rows.map(toVersionRow);
  }

  countVersions(id: string): Promise<number> {
    return this.db.appointmentVersion.count({ where: { appointmentId: id } });
  }
}
