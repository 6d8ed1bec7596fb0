import { gatewayStatusFallback } from './system-status-fallback';
import { type SystemStatusRepository, type SystemStatusRow } from './system-status.repository';

/** The registry table, in memory, with the topics whose events wait in the outbox. */
class MemoryRegistry implements Pick<
  SystemStatusRepository,
  'status' | 'changeMark' | 'unpublished'
> {
  readonly rows = new Map<string, SystemStatusRow>();
  readonly waiting = new Set<string>();
  async status(systemId: string): Promise<SystemStatusRow | null> {
    return this.rows.get(systemId) ?? null;
  }
  async changeMark(): Promise<string> {
    return `${this.rows.size}`;
  }
  async unpublished(topic: string): Promise<boolean> {
    return this.waiting.has(topic);
  }
}

const row = (r: Partial<SystemStatusRow> = {}): SystemStatusRow => ({
  id: 'gp-1',
  status: 'active',
  version: 3,
  writesRestricted: false,
  odsCode: 'Y12345',
  region: 'london',
  ...r,
});

describe('gateway suspension fallback (registry table)', () => {
  it('an unknown system is no answer (the registry stands)', async () => {
    const f = gatewayStatusFallback(new MemoryRegistry(), 'trellis.gateway.system.v1');
    await expect(f.lookup('nobody')).resolves.toBeUndefined();
  });

  it("anything but active is suspended (fail closed); the region is the organisation's", async () => {
    const registry = new MemoryRegistry();
    registry.rows.set('gp-1', row({ writesRestricted: true }));
    registry.rows.set('gp-2', row({ id: 'gp-2', status: 'pending-review', odsCode: 'ZZZ99' }));
    const f = gatewayStatusFallback(registry, 'trellis.gateway.system.v1');
    await expect(f.lookup('gp-1')).resolves.toEqual({
      systemId: 'gp-1',
      status: 'active',
      version: 3,
      writesRestricted: true,
      region: 'north-east', // Y12345 is in the north east whatever the row says
    });
    // an ODS code outside the reference table keeps the row's region
    await expect(f.lookup('gp-2')).resolves.toEqual(
      expect.objectContaining({ status: 'suspended', region: 'london' }),
    );
  });

  it("unpublished asks about the system topic's events only", async () => {
    const registry = new MemoryRegistry();
    const f = gatewayStatusFallback(registry, 'trellis.gateway.system.v1');
    registry.waiting.add('trellis.other.v1');
    await expect(f.unpublished!()).resolves.toBe(false);
    registry.waiting.add('trellis.gateway.system.v1');
    await expect(f.unpublished!()).resolves.toBe(true);
  });
});
