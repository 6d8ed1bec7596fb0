import type { ReceivedEvent } from '../cloudevents';
import type { RawSqlClient } from '../sql-client';

/**
 * The inbox table (`inbox_events`, unqualified: the connection's search_path is the service
 * schema): one row per (consumer group, event id) makes a redelivered event a no-op.
 */

/** Records one event; resolves 0 when the group has already recorded it. */
export function recordInInbox(
  client: RawSqlClient,
  groupId: string,
  event: ReceivedEvent,
): PromiseLike<number> {
  return client.$executeRaw`
      INSERT INTO inbox_events (consumer_group, event_id, topic, partition, "offset", ce_type)
      VALUES (${groupId}, ${event.id}, ${event.topic}, ${event.partition},
              ${event.offset}::bigint, ${event.type})
      ON CONFLICT DO NOTHING`;
}

/** Records several events in one statement; resolves the ids that were new (in event order). */
export async function recordAllInInbox(
  client: RawSqlClient,
  groupId: string,
  events: readonly ReceivedEvent[],
): Promise<string[]> {
  const inserted = await client.$queryRaw<{ event_id: string }[]>`
          INSERT INTO inbox_events (consumer_group, event_id, topic, partition, "offset", ce_type)
          SELECT ${groupId}, u.event_id, u.topic, u.partition, u.off, u.ce_type
            FROM unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.topic)}::text[],
                        ${events.map((e) => e.partition)}::int[], ${events.map((e) => e.offset)}::bigint[],
                        ${events.map((e) => e.type)}::text[])
                 WITH ORDINALITY AS u(event_id, topic, partition, off, ce_type, ord)
           ORDER BY u.ord
          ON CONFLICT DO NOTHING
          RETURNING event_id`;
  return inserted.map((r) => r.event_id);
}
