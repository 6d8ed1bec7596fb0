import { eventLabel, type HistoryEntry } from './enforcement';

const entry = (e: Partial<HistoryEntry>): HistoryEntry => ({
  id: 'b:1',
  at: '2026-12-07T01:00:00.000Z',
  kind: 'registry',
  event: '',
  systemIds: ['gp-1'],
  systemName: 'Tees Valley GP system',
  productVersionId: '',
  from: '',
  to: '',
  actor: 'authority-ne/staff:rowan',
  reason: 'Unrecognised access',
  nationalOverride: false,
  ...e,
});

describe('enforcement history entries in plain words', () => {
  it('names registry acts, lifecycle steps and compliance changes', () => {
    expect(eventLabel(entry({ event: 'SUSPENDED' }))).toBe('suspended');
    expect(eventLabel(entry({ event: 'REACTIVATED' }))).toBe('reinstated');
    expect(eventLabel(entry({ event: 'WRITES_RESTRICTED' }))).toMatch(/^writes withdrawn/);
    expect(eventLabel(entry({ event: 'KEYS_ROTATED' }))).toBe('keys_rotated');
    expect(eventLabel(entry({ kind: 'lifecycle', from: 'certified', to: 'live' }))).toBe(
      'certified → live',
    );
    expect(eventLabel(entry({ kind: 'lifecycle', from: '', to: 'registered' }))).toBe(
      'new → registered',
    );
    expect(
      eventLabel(entry({ kind: 'compliance', from: 'warned', to: 'enforced', event: 'enforce' })),
    ).toBe('warned → enforced (enforce)');
  });
});
