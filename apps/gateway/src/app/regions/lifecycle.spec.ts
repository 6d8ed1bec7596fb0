import {
  illegalMove,
  isGovernanceOrganisation,
  liveNeedsNationalOperator,
  mayMove,
  NO_SCHEME_RULES,
  unmetRequirements,
  LIFECYCLE_STATES,
} from './lifecycle';

const NOW = new Date('2026-12-06T21:00:00Z');
const LATER = new Date('2027-12-06T21:00:00Z');
const cert = (role: string, over: Partial<{ status: string; expiresAt: Date }> = {}) => ({
  id: `c-${role}`,
  role,
  status: 'active',
  rulesVersion: 'trellis-rules-2026.12',
  expiresAt: LATER,
  ...over,
});
const base = {
  role: 'gp-system',
  productVersionId: 'acme-gp@1.0',
  now: NOW,
  region: 'north-east',
};

describe('connected-system lifecycle', () => {
  it('moves one step forward, or back to the sandbox; nothing else', () => {
    const allowed = LIFECYCLE_STATES.flatMap((from) =>
      LIFECYCLE_STATES.filter((to) => mayMove(from, to)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'registered>sandbox',
        'sandbox>certified',
        'certified>live',
        'certified>sandbox',
        'live>sandbox',
      ].sort(),
    );
    expect(mayMove('unknown', 'sandbox')).toBe(false);
  });

  it('a role without a conformance scheme is never certified: sandbox → live instead', () => {
    const allowed = LIFECYCLE_STATES.flatMap((from) =>
      LIFECYCLE_STATES.filter((to) => mayMove(from, to, false)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'registered>sandbox',
        'sandbox>live',
        'certified>live',
        'certified>sandbox',
        'live>sandbox',
      ].sort(),
    );
    const e = illegalMove('sys-1', 'sandbox', 'certified', false);
    expect(e.message).toBe(
      'system sys-1 is sandbox: it cannot move to certified (from sandbox: live; its product role has no conformance scheme, so it is never certified)',
    );
    expect(e.details[0]?.rule).toBe('lifecycle.sandbox-to-certified');
    const regional = liveNeedsNationalOperator('sys-1', 'other', 'north-east');
    expect(regional.kind).toBe('FAILED_PRECONDITION');
    expect(regional.details[0]?.rule).toBe(NO_SCHEME_RULES.liveNationalOnly);
    expect(regional.message).toContain('only the national operator moves it live');
  });

  it("governance principals are the national operator's and the regional authorities' own organisations", () => {
    expect(isGovernanceOrganisation('X26')).toBe(true);
    expect(isGovernanceOrganisation('YRA01')).toBe(true);
    expect(isGovernanceOrganisation(' yra06 ')).toBe(true);
    for (const local of ['A81001', 'Y12345', 'QHM', 'YGM01', 'R1K01', 'ZZZ99'])
      expect([local, isGovernanceOrganisation(local)]).toEqual([local, false]);
  });

  it('an illegal move names the state, the target and what is allowed', () => {
    const e = illegalMove('sys-1', 'sandbox', 'live');
    expect(e.kind).toBe('FAILED_PRECONDITION');
    expect(e.message).toBe(
      'system sys-1 is sandbox: it cannot move to live (from sandbox: certified)',
    );
    expect(e.details[0]?.rule).toBe('lifecycle.sandbox-to-live');
  });

  it('certified needs a valid certificate for the role; sandbox needs nothing', () => {
    expect(unmetRequirements({ ...base, to: 'sandbox', certificates: [] })).toEqual([]);
    expect(
      unmetRequirements({ ...base, to: 'certified', certificates: [cert('gp-system')] }),
    ).toEqual([]);
    const none = unmetRequirements({ ...base, to: 'certified', certificates: [cert('lab-lims')] });
    expect(none.map((u) => u.rule)).toEqual(['national.certificate']);
    expect(none[0]?.message).toContain('no valid gp-system conformance certificate (none issued)');
    const expired = unmetRequirements({
      ...base,
      to: 'certified',
      certificates: [cert('gp-system', { expiresAt: NOW })],
    });
    expect(expired[0]?.message).toContain('expired');
  });

  it("live needs the region's extra role certificates and its violation-rate ceiling", () => {
    const requirements = { extraCertificateRoles: ['lab-lims'], maxViolationRate: 0.05 };
    const unmet = unmetRequirements({
      ...base,
      to: 'live',
      certificates: [cert('gp-system')],
      requirements,
      violationRate: 0.08,
    });
    expect(unmet.map((u) => u.rule)).toEqual([
      'region.north-east.certificate.lab-lims',
      'region.north-east.violation-rate',
    ]);
    expect(unmet[1]?.message).toBe(
      "north-east requires a violation rate of at most 0.05: the system's is 0.08",
    );
    expect(
      unmetRequirements({
        ...base,
        to: 'live',
        certificates: [cert('gp-system'), cert('lab-lims')],
        requirements,
        violationRate: 0.05,
      }),
    ).toEqual([]);
  });

  it('an unreadable violation rate fails closed; no ceiling needs no rate', () => {
    const closed = unmetRequirements({
      ...base,
      to: 'live',
      certificates: [cert('gp-system')],
      requirements: { extraCertificateRoles: [], maxViolationRate: 0.1 },
    });
    expect(closed[0]?.message).toContain('could not be read');
    expect(
      unmetRequirements({
        ...base,
        to: 'live',
        certificates: [cert('gp-system')],
        requirements: { extraCertificateRoles: [], maxViolationRate: null },
      }),
    ).toEqual([]);
  });
});
