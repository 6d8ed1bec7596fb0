import type { PrismaClient } from '../prisma';

/** The store's upkeep as the maintenance rules need it (an in-memory table in unit tests). */
export interface MaintenanceStore {
  /** Creates the month's partition of access_events unless it exists; true when created. */
  ensureMonthPartition(month: Date): Promise<boolean>;
  /** Drops the whole-month partitions before `cutoff`; their names. */
  dropPartitionsBefore(cutoff: Date): Promise<string[]>;
  /** Deletes at most `limit` of the group's inbox rows handled before `before`; how many went. */
  purgeInboxChunk(group: string, before: Date, limit: number): Promise<number>;
}

/**
 * The audit store's maintenance SQL: access_events' monthly partitions (through the schema's SQL
 * functions, which take a per-schema advisory lock) and the inbox's handled ids.
 */
export class MaintenanceRepository implements MaintenanceStore {
  constructor(private readonly prisma: PrismaClient) {}

  async ensureMonthPartition(month: Date): Promise<boolean> {
    const [row] = await this.prisma.$queryRaw<{ created: boolean }[]>`
      SELECT audit_ensure_month_partition(${month}::timestamptz) AS created`;
    return row?.created === true;
  }

  async dropPartitionsBefore(cutoff: Date): Promise<string[]> {
    const dropped = await this.prisma.$queryRaw<{ name: string }[]>`
      SELECT audit_drop_partitions_before(${cutoff}::timestamptz) AS name`;
    return dropped.map((d) => d.name);
  }

  /** The partitions of access_events in this schema, oldest first (for operations and tests). */
  async partitions(): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ name: string }[]>`
      SELECT c.relname AS name
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
       WHERE p.relname = 'access_events' AND n.nspname = current_schema()
       ORDER BY c.relname`;
    return rows.map((r) => r.name);
  }

  purgeInboxChunk(group: string, before: Date, limit: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM inbox_events WHERE ctid IN (
        SELECT ctid FROM inbox_events
         WHERE consumer_group = ${group} AND handled_at < ${before}
         LIMIT ${limit})`;
  }
}
