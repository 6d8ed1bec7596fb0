/**
 * The relay's SQL on `outbox_events` (unqualified: the connection's search_path is the service
 * schema). Parameters are listed beside each statement.
 */

/** Session advisory lock key of a schema's relay leadership. */
export const RELAY_LOCK_PREFIX = 'trellis.outbox.relay:';
/** Sent rows deleted per purge statement. */
export const PURGE_CHUNK = 10_000;

/** $1 lock key → ok. */
export const TRY_LEADER_LOCK_SQL = 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok';
/** $1 lock key. */
export const RELEASE_LEADER_LOCK_SQL = 'SELECT pg_advisory_unlock(hashtextextended($1, 0))';

/**
 * Once per relay connection: no bitmap scans, so FETCH_BATCH_SQL stays an ordered index scan that
 * stops after the batch, whatever the row estimate (the relay's other statements are index scans
 * too).
 */
export const RELAY_SESSION_SQL = 'SET enable_bitmapscan = off';

/** → unsent, oldest_ms (both as text). */
export const LAG_SQL = `SELECT count(*)::text AS unsent,
              (extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::bigint::text AS oldest_ms
         FROM outbox_events WHERE sent_at IS NULL`;

/**
 * $1 batch size, $2 topics set aside, $3 seqs in flight → OutboxRow[] in seq order. Ordered as the
 * (sent_at, seq) index, which the relay's session reads in order from the first unsent row
 * (RELAY_SESSION_SQL); ordered by seq, or planned as a bitmap scan when the planner underestimates
 * the unsent rows (a fresh table, a burst since the last ANALYZE), every fetch read and sorted all
 * unsent rows: 120 ms against 6 ms for 2,000 of 28,000 (docs/performance.md).
 */
export const FETCH_BATCH_SQL = `SELECT id, seq::text AS seq, topic, key, ce_type, ce_source, ce_subject, ce_time,
              ce_dataschema, ods_code, region, regions, headers, payload
         FROM outbox_events
        WHERE sent_at IS NULL
          AND NOT (topic = ANY($2::text[]))
          AND NOT (outbox_events.seq = ANY($3::bigint[]))
        ORDER BY sent_at, outbox_events.seq
        LIMIT $1`;

/** $1 seqs. */
export const MARK_SENT_SQL = `UPDATE outbox_events
                SET sent_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL
              WHERE seq = ANY($1::bigint[])`;

/** $1 seqs, $2 error message. */
export const RECORD_FAILURE_SQL = `UPDATE outbox_events SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])`;

/** $1 retention in ms. */
export const PURGE_SENT_SQL = `DELETE FROM outbox_events WHERE seq IN (
         SELECT seq FROM outbox_events
          WHERE sent_at IS NOT NULL AND sent_at < clock_timestamp() - ($1::bigint * interval '1 millisecond')
          LIMIT ${PURGE_CHUNK})`;
