import type { PrismaClient } from '../prisma';
import { monthsBetween, retentionWindow } from './months';

export interface RetentionPolicy {
  /** Whole months kept before the current one. */
  retentionMonths: number;
  /** Months created ahead of the current one. */
  ahead: number;
}

export interface MaintenanceResult {
  created: string[];
  dropped: string[];
}

/**
 * Keeps access_events' monthly partitions in step with the retention policy: every month of the
 * window [cutoff, horizon) exists before an event of it can arrive, and whole months past the
 * retention are dropped (a DROP TABLE, not a DELETE: no bloat, no vacuum debt). Idempotent and
 * safe from several replicas (the SQL functions take a per-schema advisory lock).
 */
export async function maintainPartitions(
  prisma: PrismaClient,
  policy: RetentionPolicy,
  now: Date,
): Promise<MaintenanceResult> {
  const { cutoff, horizon } = retentionWindow(now, policy.retentionMonths, policy.ahead);
  const created: string[] = [];
  for (const month of monthsBetween(cutoff, horizon)) {
    const [row] = await prisma.$queryRaw<{ created: boolean }[]>`
      SELECT audit_ensure_month_partition(${month}::timestamptz) AS created`;
    if (row?.created) created.push(month.toISOString().slice(0, 7));
  }
  const dropped = await prisma.$queryRaw<{ name: string }[]>`
    SELECT audit_drop_partitions_before(${cutoff}::timestamptz) AS name`;
  return { created, dropped: dropped.map((d) => d.name) };
}

/** The partitions of access_events in this schema, oldest first (for operations and tests). */
export async function listPartitions(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ name: string }[]>`
    SELECT c.relname AS name
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE p.relname = 'access_events' AND n.nspname = current_schema()
     ORDER BY c.relname`;
  return rows.map((r) => r.name);
}
