import { afterKeyset, keysetOrder, PrismaRepository } from '@trellis/database';

import { Prisma, type PrismaClient, type ScheduleRow, type SlotRow } from '../prisma';

export interface NewSchedule {
  odsCode: string;
  serviceType: string;
  specialty: string | null;
  practitionerId: string | null;
  region: string;
  bookableByOdsCodes: string[];
  bookableByOrgTypes: string[];
  name: string;
  idempotencyKey: string | null;
  requestHash: string | null;
}

export interface NewSlot {
  start: Date;
  end: Date;
  status: 'free' | 'busy_unavailable';
  /** Publishing system's idempotency key (unique per owner) and the hash of the slot asked for. */
  idempotencyKey?: string | null;
  requestHash?: string | null;
}

export interface ScheduleFilter {
  odsCode?: string;
  idempotencyKey?: string;
  serviceType?: string;
  practitionerId?: string;
}

export interface FreeSlotFilter {
  serviceType?: string;
  odsCode?: string;
  region?: string;
  from: Date;
  to: Date;
}

/** The only place scheduling talks to Prisma. */
export class SchedulingRepository extends PrismaRepository<PrismaClient> {
  createSchedule(data: NewSchedule): Promise<ScheduleRow> {
    return this.db.schedule.create({ data });
  }

  findScheduleByKey(odsCode: string, idempotencyKey: string): Promise<ScheduleRow | null> {
    return this.db.schedule.findUnique({
      where: { odsCode_idempotencyKey: { odsCode, idempotencyKey } },
    });
  }

  findSchedule(id: string): Promise<ScheduleRow | null> {
    return this.db.schedule.findUnique({ where: { id } });
  }

  findSlot(id: string): Promise<SlotRow | null> {
    return this.db.slot.findUnique({ where: { id } });
  }

  /** The owner's slots published under these idempotency keys. */
  /** Serialises an organisation's keyed slot publications (transaction-scoped advisory lock). */
  async lockKeyedPublication(odsCode: string): Promise<void> {
    await this.db
      .$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`slots:${odsCode}`}, 0))::text AS locked`;
  }

  findSlotsByKeys(odsCode: string, keys: readonly string[]): Promise<SlotRow[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.db.slot.findMany({ where: { odsCode, idempotencyKey: { in: [...keys] } } });
  }

  /** Keyset page of schedules ordered by (created_at, id). */
  listSchedules(
    filter: ScheduleFilter,
    after: { createdAt: Date; id: string } | undefined,
    take: number,
  ): Promise<ScheduleRow[]> {
    const and: Prisma.ScheduleWhereInput[] = [];
    if (filter.odsCode) and.push({ odsCode: filter.odsCode });
    if (filter.serviceType) and.push({ serviceType: filter.serviceType });
    if (filter.practitionerId) and.push({ practitionerId: filter.practitionerId });
    if (filter.idempotencyKey) and.push({ idempotencyKey: filter.idempotencyKey });
    if (after) and.push(afterKeyset('createdAt', { at: after.createdAt, id: after.id }));
    return this.db.schedule.findMany({
      where: { AND: and },
      orderBy: keysetOrder('createdAt'),
      take,
    });
  }

  /** Inserts all slots in one statement; the exclusion constraint refuses overlaps. */
  insertSlots(schedule: ScheduleRow, slots: readonly NewSlot[]): Promise<SlotRow[]> {
    return this.db.slot.createManyAndReturn({
      data: slots.map((s) => ({
        scheduleId: schedule.id,
        startAt: s.start,
        endAt: s.end,
        status: s.status,
        odsCode: schedule.odsCode,
        serviceType: schedule.serviceType,
        region: schedule.region,
        practitionerId: schedule.practitionerId,
        idempotencyKey: s.idempotencyKey ?? null,
        requestHash: s.requestHash ?? null,
      })),
    });
  }

  /** An existing slot of the schedule overlapping one of the candidate ranges (for the error). */
  async findOverlap(
    scheduleId: string,
    slots: readonly NewSlot[],
  ): Promise<{ id: string; start: Date; end: Date; index: number } | undefined> {
    const starts = slots.map((s) => s.start.toISOString());
    const ends = slots.map((s) => s.end.toISOString());
    const rows = await this.db.$queryRaw<
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

  /**
   * Keyset page of free slots ordered by (start, id). Tagged SQL so the literal `status = 'free'`
   * matches the partial indexes (slots_free_*) and the keyset is one row comparison.
   */
  async searchFree(
    filter: FreeSlotFilter,
    after: { start: Date; id: string } | undefined,
    take: number,
  ): Promise<SlotRow[]> {
    const conditions: Prisma.Sql[] = [
      Prisma.sql`status = 'free'`,
      Prisma.sql`start_at >= ${filter.from}`,
      Prisma.sql`start_at < ${filter.to}`,
    ];
    if (filter.serviceType) conditions.push(Prisma.sql`service_type = ${filter.serviceType}`);
    if (filter.odsCode) conditions.push(Prisma.sql`ods_code = ${filter.odsCode}`);
    if (filter.region) conditions.push(Prisma.sql`region = ${filter.region}`);
    if (after)
      conditions.push(
        Prisma.sql`(s.start_at, s.id) > (${after.start}::timestamptz, ${after.id}::uuid)`,
      );
    const rows = await this.db.$queryRaw<SlotSqlRow[]>`
      SELECT id::text, schedule_id::text, start_at, end_at, status::text, ods_code, service_type, region,
             practitioner_id, version, created_at, updated_at, idempotency_key, request_hash
        FROM slots s
       WHERE ${Prisma.join(conditions, ' AND ')}
       ORDER BY s.start_at, s.id
       LIMIT ${take}`;
    return rows.map(toSlotRow);
  }
}

export interface SlotSqlRow {
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
}

/** A slots row read with tagged SQL → the Prisma model shape. */
export function toSlotRow(r: SlotSqlRow): SlotRow {
  return {
    id: r.id,
    scheduleId: r.schedule_id,
    startAt: new Date(r.start_at),
    endAt: new Date(r.end_at),
    status: r.status === 'busy-unavailable' ? 'busy_unavailable' : (r.status as SlotRow['status']),
    odsCode: r.ods_code,
    serviceType: r.service_type,
    region: r.region,
    practitionerId: r.practitioner_id,
    version: Number(r.version),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
  };
}
