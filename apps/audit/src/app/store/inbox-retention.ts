import type { MaintenanceStore } from './maintenance.repository';

/** Inbox rows deleted per statement (short transactions; the handled_at index finds them). */
export const PURGE_CHUNK = 10_000;

/**
 * Deletes this consumer group's inbox rows handled before `before`, a chunk at a time, and
 * answers how many went. Safe for exactly-once in effect: the inbox is the store's first guard
 * against a redelivered event, not its only one — every access row's primary key is its audit id
 * (+ time) and the insert is ON CONFLICT DO NOTHING, so an event redelivered after its inbox row
 * was purged (a replay from the beginning, a reset group) is stored once all the same.
 * `maxChunks` bounds one run; the next maintenance tick continues.
 */
export async function purgeInbox(
  store: Pick<MaintenanceStore, 'purgeInboxChunk'>,
  group: string,
  before: Date,
  maxChunks = 100,
): Promise<number> {
  let purged = 0;
  for (let i = 0; i < maxChunks; i++) {
    const n = await store.purgeInboxChunk(group, before, PURGE_CHUNK);
    purged += n;
    if (n < PURGE_CHUNK) break;
  }
  return purged;
}
