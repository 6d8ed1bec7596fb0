import type { MaintenanceStore } from './maintenance.repository';
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
  store: Pick<MaintenanceStore, 'ensureMonthPartition' | 'dropPartitionsBefore'>,
  policy: RetentionPolicy,
  now: Date,
): Promise<MaintenanceResult> {
  const { cutoff, horizon } = retentionWindow(now, policy.retentionMonths, policy.ahead);
  const created: string[] = [];
  for (const month of monthsBetween(cutoff, horizon)) {
    if (await store.ensureMonthPartition(month)) created.push(month.toISOString().slice(0, 7));
  }
  const dropped = await store.dropPartitionsBefore(cutoff);
  return { created, dropped };
}
