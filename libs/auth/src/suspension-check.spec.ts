import {
  SuspensionCheck,
  suspensionFeedCheck,
  type SystemStatusFallback,
} from './suspension-check';
import { SystemStatusRegistry, type SystemStatusUpdate } from './system-status';

const suspended = (systemId: string, version = 2): SystemStatusUpdate => ({
  systemId,
  status: 'suspended',
  version,
});
const active = (systemId: string, version = 1): SystemStatusUpdate => ({
  systemId,
  status: 'active',
  version,
});

/** A fallback over a mutable table: the mark is its change counter, `unsent` the outbox. */
function tableFallback(rows: Map<string, SystemStatusUpdate>) {
  const state = { changes: 0, unsent: false, markFails: false, lookups: 0 };
  const fallback: SystemStatusFallback = {
    ttlMs: 1_000,
    markTtlMs: 200,
    settleMs: 5_000,
    lookup: (id) => {
      state.lookups++;
      return Promise.resolve(rows.get(id));
    },
    changeMark: () =>
      state.markFails
        ? Promise.reject(new Error('connection refused'))
        : Promise.resolve(String(state.changes)),
    unpublished: () => Promise.resolve(state.unsent),
  };
  const change = (row: SystemStatusUpdate): void => {
    rows.set(row.systemId, row);
    state.changes++;
    state.unsent = true;
  };
  return { fallback, state, change };
}

describe('SuspensionCheck', () => {
  let clock: number;
  const now = (): number => clock;
  beforeEach(() => (clock = 1_000_000));

  it('without a fallback refuses (unavailable) until the feed has replayed', async () => {
    const registry = new SystemStatusRegistry();
    const check = new SuspensionCheck(registry);
    expect(await check.check('sys-a', 10)).toEqual({
      available: false,
      reason: 'system status replay incomplete',
    });
    registry.apply(suspended('sys-a'));
    registry.markReady();
    expect(await check.check('sys-a', 10)).toMatchObject({ available: true, suspended: true });
    expect(await check.check('sys-b', 10)).toMatchObject({ available: true, suspended: false });
  });

  it('feed not replayed: the table answers at once; a change clears the cached answers', async () => {
    const rows = new Map<string, SystemStatusUpdate>([['sys-a', active('sys-a')]]);
    const { fallback, state, change } = tableFallback(rows);
    const check = new SuspensionCheck(new SystemStatusRegistry(), fallback, now);
    expect(await check.check('sys-a', 60_000)).toEqual({
      available: true,
      suspended: false,
      writesRestricted: false,
      source: 'fallback',
    });
    clock += 500;
    expect(await check.check('sys-a', 60_000)).toMatchObject({ suspended: false });
    expect(state.lookups).toBe(1); // cached for ttlMs
    change(suspended('sys-a'));
    clock += 200; // the next mark read
    expect(await check.check('sys-a', 60_000)).toMatchObject({ suspended: true });
    expect(state.lookups).toBe(2);
    // an unknown system is not suspended (as in the registry)
    expect(await check.check('sys-x', 60_000)).toMatchObject({ available: true, suspended: false });
  });

  it('feed replayed: the registry answers, except from a change until published and settled', async () => {
    const registry = new SystemStatusRegistry();
    registry.apply(active('sys-a'));
    registry.markReady();
    const rows = new Map<string, SystemStatusUpdate>([['sys-a', active('sys-a')]]);
    const { fallback, state, change } = tableFallback(rows);
    const check = new SuspensionCheck(registry, fallback, now);
    // the first mark counts as a change: nothing unsent, so only the settle window
    expect(await check.check('sys-a', 10)).toMatchObject({ source: 'fallback' });
    clock += 5_000;
    expect(await check.check('sys-a', 10)).toMatchObject({ suspended: false, source: 'feed' });

    // suspended in the table (Kafka down: the event stays unsent) → refused from the next mark read
    change({ ...suspended('sys-a'), writesRestricted: true });
    clock += 200;
    expect(await check.check('sys-a', 10)).toEqual({
      available: true,
      suspended: true,
      writesRestricted: true,
      source: 'fallback',
    });
    clock += 60_000; // however long the outage lasts
    expect(await check.check('sys-a', 10)).toMatchObject({ suspended: true, source: 'fallback' });

    // published and delivered: the registry answers again after the settle window
    state.unsent = false;
    registry.apply(suspended('sys-a'));
    clock += 1_000;
    expect(await check.check('sys-a', 10)).toMatchObject({ suspended: true, source: 'fallback' });
    clock += 5_000;
    expect(await check.check('sys-a', 10)).toMatchObject({ suspended: true, source: 'feed' });
  });

  it('fails closed when the table is needed and unreadable; stands on the registry otherwise', async () => {
    const registry = new SystemStatusRegistry();
    registry.apply(suspended('sys-a'));
    const { fallback, state } = tableFallback(new Map());
    const failing: SystemStatusFallback = {
      ...fallback,
      lookup: () => Promise.reject(new Error('connection refused')),
    };
    const check = new SuspensionCheck(registry, failing, now);
    expect(await check.check('sys-a', 10)).toEqual({
      available: false,
      reason: 'system status fallback failed: Error: connection refused',
    });
    registry.markReady();
    clock += 10_000;
    state.markFails = true; // no change can be committed to an unreadable table either
    expect(await check.check('sys-a', 10)).toMatchObject({
      available: true,
      suspended: true,
      source: 'feed',
    });
  });

  it('readiness detail says what is down and what holds meanwhile', () => {
    const withFallback = new SuspensionCheck(new SystemStatusRegistry(), {
      lookup: () => Promise.resolve(undefined),
    });
    expect(suspensionFeedCheck(withFallback)).toThrow(
      'replaying: suspensions checked against the database on each call meanwhile',
    );
    withFallback.setFeedState('down', 'Connection closed');
    expect(suspensionFeedCheck(withFallback)).toThrow(
      'unreachable (Connection closed): suspensions checked against the database',
    );
    const without = new SuspensionCheck(new SystemStatusRegistry());
    without.setFeedState('down', 'Connection closed');
    expect(suspensionFeedCheck(without)).toThrow('calls refused until the replay completes');
    without.registry.markReady();
    expect(suspensionFeedCheck(without)).not.toThrow();
  });
});
