import type { Session } from '../auth';
import {
  mayReadSystemRates,
  standingOf,
  systemRatesPath,
  type SystemScorecard,
} from './system-rates';

const session = (s: Partial<Session>): Session => ({
  role: 'operator',
  name: 'Olu Tester',
  scopes: [],
  accessToken: 't',
  expiresAt: 0,
  ...s,
});

const card = (compliance: SystemScorecard['compliance']): SystemScorecard => ({
  systemId: 'gp-1',
  region: 'north-east',
  productVersionId: 'acme@1',
  requests: 4,
  accepted: 3,
  refused: 1,
  violations: 1,
  judged: 4,
  conformanceRate: 0.75,
  countedUntil: '2026-12-07T02:00:00.000Z',
  compliance,
});
const state = (s: string, overrideUntil: string | null = null) => ({
  state: s,
  severity: '',
  warnedAt: null,
  enforcedAt: null,
  overrideUntil,
  overrideReason: '',
});

describe('per-system rates on the Systems page', () => {
  it('the operator reads the nation’s cards; an authority its region’s, with the scope', () => {
    const op = session({ scopes: ['trellis/admin'] });
    expect(mayReadSystemRates(op)).toBe(true);
    expect(systemRatesPath(op)).toBe('/admin/v1/system-scorecards');
    const ne = session({
      role: 'regional',
      region: 'north-east',
      scopes: ['region/north-east/scorecards.read'],
    });
    expect(mayReadSystemRates(ne)).toBe(true);
    expect(systemRatesPath(ne)).toBe('/admin/v1/regions/north-east/system-scorecards');
    expect(mayReadSystemRates({ ...ne, scopes: ['region/north-east/systems.write'] })).toBe(false);
    expect(mayReadSystemRates(session({ role: 'supplier', scopes: ['trellis/admin'] }))).toBe(
      false,
    );
  });

  it('names the version’s standing; an override in force wins over the state', () => {
    const now = Date.parse('2026-12-07T03:00:00Z');
    expect(standingOf(undefined, now)).toBe('unknown');
    expect(standingOf(card(null), now)).toBe('unknown');
    expect(standingOf(card(state('warned')), now)).toBe('warned');
    expect(standingOf(card(state('enforced')), now)).toBe('enforced');
    expect(standingOf(card(state('compliant', '2026-12-07T04:00:00Z')), now)).toBe('overridden');
    expect(standingOf(card(state('enforced', '2026-12-07T02:00:00Z')), now)).toBe('enforced');
  });
});
