import { type Prisma } from '../prisma';
import { mergeDeltas, type CounterDelta } from './counters';

type Tx = Prisma.TransactionClient;

// The traffic counters' storage. A function of the transaction, not a repository object per batch:
// it runs in the inbox transaction of every batch the consumer handles.

/**
 * Adds the deltas to their counter rows with ONE multi-row UPSERT (rows pre-merged and sorted, so
 * each row is touched once and concurrent batches lock rows in the same order). Runs in the inbox
 * transaction that recorded the events: counted exactly once in effect.
 */
export async function addCounters(tx: Tx, deltas: readonly CounterDelta[]): Promise<number> {
  const rows = mergeDeltas(deltas);
  if (rows.length === 0) return 0;
  return tx.$executeRaw`
    INSERT INTO traffic_counters AS t
      (system_id, bucket_start, product_version_id, metric, key, status, door, count, issues,
       example, last_event_at)
    SELECT u.system_id, u.bucket_start, u.pv, u.metric, u.key, u.status, u.door, u.count,
           u.issues, u.example, u.last_event_at
      FROM unnest(${rows.map((r) => r.systemId)}::text[],
                  ${rows.map((r) => r.bucketStart.toISOString())}::timestamptz[],
                  ${rows.map((r) => r.productVersionId)}::text[],
                  ${rows.map((r) => r.metric)}::text[],
                  ${rows.map((r) => r.key)}::text[],
                  ${rows.map((r) => r.status)}::text[],
                  ${rows.map((r) => r.door)}::text[],
                  ${rows.map((r) => r.count)}::bigint[],
                  ${rows.map((r) => r.issues)}::bigint[],
                  ${rows.map((r) => r.example)}::text[],
                  ${rows.map((r) => r.lastEventAt.toISOString())}::timestamptz[])
           WITH ORDINALITY AS u(system_id, bucket_start, pv, metric, key, status, door, count,
                                issues, example, last_event_at, ord)
     ORDER BY u.ord
    ON CONFLICT (system_id, bucket_start, product_version_id, metric, key, status, door)
    DO UPDATE SET
      count = t.count + EXCLUDED.count,
      issues = t.issues + EXCLUDED.issues,
      example = CASE
        WHEN EXCLUDED.example IS NULL THEN t.example
        WHEN t.example IS NULL THEN EXCLUDED.example
        WHEN EXCLUDED.last_event_at > t.last_event_at THEN EXCLUDED.example
        WHEN EXCLUDED.last_event_at < t.last_event_at THEN t.example
        WHEN EXCLUDED.example COLLATE "C" > t.example COLLATE "C" THEN EXCLUDED.example
        ELSE t.example END,
      last_event_at = GREATEST(t.last_event_at, EXCLUDED.last_event_at)`;
}
