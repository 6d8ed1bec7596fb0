import { purgeInbox, PURGE_CHUNK } from './inbox-retention';
import { type MaintenanceStore } from './maintenance.repository';
import { monthStart, partitionName } from './months';
import { maintainPartitions } from './partitions';

/** access_events' partitions and the inbox, in memory (names as the SQL functions give them). */
class MemoryStore implements MaintenanceStore {
  readonly months = new Set<string>();
  /** Handled inbox rows per group: their handled_at times. */
  readonly inbox = new Map<string, Date[]>();
  statements = 0;

  async ensureMonthPartition(month: Date): Promise<boolean> {
    const name = partitionName(month);
    if (this.months.has(name)) return false;
    this.months.add(name);
    return true;
  }
  async dropPartitionsBefore(cutoff: Date): Promise<string[]> {
    const dropped = [...this.months].filter((n) => n < partitionName(cutoff)).sort();
    for (const n of dropped) this.months.delete(n);
    return dropped;
  }
  async purgeInboxChunk(group: string, before: Date, limit: number): Promise<number> {
    this.statements++;
    const rows = this.inbox.get(group) ?? [];
    const old = rows.filter((at) => at < before).slice(0, limit);
    this.inbox.set(
      group,
      rows.filter((at) => !old.includes(at)),
    );
    return old.length;
  }
}

const NOW = new Date('2026-12-07T21:00:00Z');
const name = (offset: number) => partitionName(monthStart(NOW, offset));

describe('audit store maintenance', () => {
  it('creates every month of the retention window once and drops whole months before it', async () => {
    const store = new MemoryStore();
    store.months.add(name(-5));
    store.months.add(name(-1));
    const first = await maintainPartitions(store, { retentionMonths: 2, ahead: 1 }, NOW);
    expect(first).toEqual({ created: ['2026-10', '2026-12', '2027-01'], dropped: [name(-5)] });
    expect([...store.months].sort()).toEqual([name(-2), name(-1), name(0), name(1)]);
    // idempotent: a second run the same month changes nothing
    expect(await maintainPartitions(store, { retentionMonths: 2, ahead: 1 }, NOW)).toEqual({
      created: [],
      dropped: [],
    });
  });

  it("purges a group's old inbox rows chunk by chunk until a short chunk, within maxChunks", async () => {
    const store = new MemoryStore();
    const old = new Date(NOW.getTime() - 200 * 3_600_000);
    const before = new Date(NOW.getTime() - 168 * 3_600_000);
    store.inbox.set(
      'audit',
      Array.from({ length: PURGE_CHUNK * 2 + 5 }, () => new Date(old)),
    );
    store.inbox.set('other', [new Date(old)]);
    expect(await purgeInbox(store, 'audit', before, 2)).toBe(PURGE_CHUNK * 2);
    expect(store.statements).toBe(2); // bounded: the rest waits for the next tick
    expect(await purgeInbox(store, 'audit', before)).toBe(5);
    expect(store.statements).toBe(3);
    expect(store.inbox.get('audit')).toEqual([]);
    expect(store.inbox.get('other')).toHaveLength(1);
  });
});
