import { Prisma, type AppointmentRow, type Db, type ScheduleRow, type SlotRow } from '../prisma';

export type SlotWithSchedule = SlotRow & { schedule: ScheduleRow };

export interface NewAppointment {
  nhsNumber: string;
  slot: SlotRow;
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
export class BookingRepository {
  findSlot(db: Db, id: string): Promise<SlotWithSchedule | null> {
    return db.slot.findUnique({ where: { id }, include: { schedule: true } });
  }

  findAppointment(db: Db, id: string): Promise<AppointmentRow | null> {
    return db.appointment.findUnique({ where: { id } });
  }

  findByIdempotencyKey(
    db: Db,
    bookingOdsCode: string,
    idempotencyKey: string,
  ): Promise<AppointmentRow | null> {
    return db.appointment.findUnique({
      where: { bookingOdsCode_idempotencyKey: { bookingOdsCode, idempotencyKey } },
    });
  }

  /**
   * The double-booking guard: `UPDATE slots SET status = 'busy' WHERE id = $1 AND status = 'free'`.
   * Concurrent claimers of one slot serialise on its row lock; every one after the first sees
   * status = 'busy' on re-check and updates 0 rows. (The partial unique index
   * appointments_one_active_per_slot is the second, independent guarantee.)
   */
  async claimSlot(db: Db, slotId: string): Promise<boolean> {
    const { count } = await db.slot.updateMany({
      where: { id: slotId, status: 'free' },
      data: { status: 'busy', version: { increment: 1 } },
    });
    return count === 1;
  }

  async releaseSlot(db: Db, slotId: string): Promise<void> {
    await db.slot.updateMany({
      where: { id: slotId, status: 'busy' },
      data: { status: 'free', version: { increment: 1 } },
    });
  }

  createAppointment(db: Db, a: NewAppointment): Promise<AppointmentRow> {
    return db.appointment.create({
      data: {
        nhsNumber: a.nhsNumber,
        slotId: a.slot.id,
        scheduleId: a.slot.scheduleId,
        status: 'booked',
        startAt: a.slot.startAt,
        endAt: a.slot.endAt,
        odsCode: a.slot.odsCode,
        region: a.slot.region,
        serviceType: a.slot.serviceType,
        practitionerId: a.slot.practitionerId,
        bookingOdsCode: a.bookingOdsCode,
        bookingRegion: a.bookingRegion,
        referralId: a.referralId,
        idempotencyKey: a.idempotencyKey,
        requestHash: a.requestHash,
      },
    });
  }

  /** Locks the appointment row for the rest of the transaction and returns it. */
  async lockAppointment(db: Db, id: string): Promise<AppointmentRow | null> {
    await db.$queryRaw`SELECT id FROM appointments WHERE id = ${id}::uuid FOR UPDATE`;
    return db.appointment.findUnique({ where: { id } });
  }

  updateAppointment(
    db: Db,
    id: string,
    data: Prisma.AppointmentUpdateInput,
  ): Promise<AppointmentRow> {
    return db.appointment.update({ where: { id }, data: { ...data, version: { increment: 1 } } });
  }

  /** A patient's appointments the organisation is involved in (provider or booker). */
  listForPatient(
    db: Db,
    args: {
      nhsNumber: string;
      odsCode: string;
      period: 'upcoming' | 'past' | 'all';
      now: Date;
      after?: Keyset;
      take: number;
    },
  ): Promise<AppointmentRow[]> {
    const desc = args.period === 'past';
    const time: Prisma.DateTimeFilter =
      args.period === 'upcoming'
        ? { gte: args.now }
        : args.period === 'past'
          ? { lt: args.now }
          : {};
    const and: Prisma.AppointmentWhereInput[] = [
      { nhsNumber: args.nhsNumber },
      { OR: [{ odsCode: args.odsCode }, { bookingOdsCode: args.odsCode }] },
      { startAt: time },
    ];
    if (args.after) and.push(keysetAfter(args.after, desc));
    return db.appointment.findMany({
      where: { AND: and },
      orderBy: [{ startAt: desc ? 'desc' : 'asc' }, { id: desc ? 'desc' : 'asc' }],
      take: args.take,
    });
  }

  dayList(
    db: Db,
    args: {
      odsCode: string;
      from: Date;
      to: Date;
      includeCancelled: boolean;
      after?: Keyset;
      take: number;
    },
  ): Promise<AppointmentRow[]> {
    const and: Prisma.AppointmentWhereInput[] = [
      { odsCode: args.odsCode },
      { startAt: { gte: args.from, lt: args.to } },
    ];
    if (!args.includeCancelled) and.push({ status: { not: 'cancelled' } });
    if (args.after) and.push(keysetAfter(args.after, false));
    return db.appointment.findMany({
      where: { AND: and },
      orderBy: [{ startAt: 'asc' }, { id: 'asc' }],
      take: args.take,
    });
  }

  /** Booked appointments of a patient starting at or after `from`, locked for update. */
  async lockBookedFrom(db: Db, nhsNumber: string, from: Date): Promise<AppointmentRow[]> {
    const ids = await db.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM appointments
       WHERE nhs_number = ${nhsNumber} AND status = 'booked' AND start_at >= ${from}
       ORDER BY start_at, id
       FOR UPDATE`;
    if (ids.length === 0) return [];
    return db.appointment.findMany({
      where: { id: { in: ids.map((r) => r.id) } },
      orderBy: [{ startAt: 'asc' }, { id: 'asc' }],
    });
  }

  async reassignPatient(db: Db, fromNhsNumber: string, toNhsNumber: string): Promise<number> {
    const { count } = await db.appointment.updateMany({
      where: { nhsNumber: fromNhsNumber },
      data: {
        nhsNumber: toNhsNumber,
        mergedFromNhsNumber: fromNhsNumber,
        version: { increment: 1 },
      },
    });
    return count;
  }
}

function keysetAfter(after: Keyset, desc: boolean): Prisma.AppointmentWhereInput {
  return desc
    ? { OR: [{ startAt: { lt: after.start } }, { startAt: after.start, id: { lt: after.id } }] }
    : { OR: [{ startAt: { gt: after.start } }, { startAt: after.start, id: { gt: after.id } }] };
}
