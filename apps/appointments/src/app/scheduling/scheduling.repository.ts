import { Prisma, type Db, type ScheduleRow, type SlotRow } from '../prisma';

export interface NewSchedule {
  odsCode: string;
  serviceType: string;
  specialty: string | null;
  practitionerId: string | null;
  region: string;
  bookableByOdsCodes: string[];
  bookableByOrgTypes: string[];
  name: string;
}

export interface NewSlot {
  start: Date;
  end: Date;
  status: 'free' | 'busy_unavailable';
}

export interface FreeSlotFilter {
  serviceType?: string;
  odsCode?: string;
  region?: string;
  from: Date;
  to: Date;
}

/** The only place scheduling talks to Prisma. */
export class SchedulingRepository {
  createSchedule(db: Db, data: NewSchedule): Promise<ScheduleRow> {
    return db.schedule.create({ data });
  }

  findSchedule(db: Db, id: string): Promise<ScheduleRow | null> {
    return db.schedule.findUnique({ where: { id } });
  }

  /** Inserts all slots in one statement; the exclusion constraint refuses overlaps. */
  insertSlots(db: Db, schedule: ScheduleRow, slots: readonly NewSlot[]): Promise<SlotRow[]> {
    return db.slot.createManyAndReturn({
      data: slots.map((s) => ({
        scheduleId: schedule.id,
        startAt: s.start,
        endAt: s.end,
        status: s.status,
        odsCode: schedule.odsCode,
        serviceType: schedule.serviceType,
        region: schedule.region,
        practitionerId: schedule.practitionerId,
      })),
    });
  }

  /** An existing slot of the schedule overlapping one of the candidate ranges (for the error). */
  async findOverlap(
    db: Db,
    scheduleId: string,
    slots: readonly NewSlot[],
  ): Promise<{ id: string; start: Date; end: Date; index: number } | undefined> {
    const starts = slots.map((s) => s.start.toISOString());
    const ends = slots.map((s) => s.end.toISOString());
    const rows = await db.$queryRaw<
      { id: string; start_at: Date; end_at: Date; ord: bigint }[]
    >(Prisma.sql`
      SELECT s.id::text AS id, s.start_at, s.end_at, x.ord
        FROM slots s
        JOIN unnest(${starts}::timestamptz[], ${ends}::timestamptz[]) WITH ORDINALITY AS x(st, en, ord)
          ON tstzrange(s.start_at, s.end_at, '[)') && tstzrange(x.st, x.en, '[)')
       WHERE s.schedule_id = ${scheduleId}::uuid
       ORDER BY x.ord
       LIMIT 1`);
    const row = rows[0];
    return row
      ? { id: row.id, start: row.start_at, end: row.end_at, index: Number(row.ord) - 1 }
      : undefined;
  }

  /** Keyset page of free slots ordered by (start, id). */
  searchFree(
    db: Db,
    filter: FreeSlotFilter,
    after: { start: Date; id: string } | undefined,
    take: number,
  ): Promise<SlotRow[]> {
    const where: Prisma.SlotWhereInput = {
      status: 'free',
      ...(filter.serviceType ? { serviceType: filter.serviceType } : {}),
      ...(filter.odsCode ? { odsCode: filter.odsCode } : {}),
      ...(filter.region ? { region: filter.region } : {}),
      startAt: {
        gte: after && after.start > filter.from ? after.start : filter.from,
        lt: filter.to,
      },
      ...(after
        ? { OR: [{ startAt: { gt: after.start } }, { startAt: after.start, id: { gt: after.id } }] }
        : {}),
    };
    return db.slot.findMany({ where, orderBy: [{ startAt: 'asc' }, { id: 'asc' }], take });
  }
}
