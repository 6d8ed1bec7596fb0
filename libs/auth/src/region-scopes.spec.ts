import { mayActInRegion, parseRegionScope, regionsAllowed } from './region-scopes';
import { isValidScope, readOnlyScopes, scopeSatisfies, scopesWithin } from './scopes';

const NE = 'region/north-east/systems.write';

describe('region-bound scopes', () => {
  it.each([
    ['region/north-east/systems.read', true],
    ['region/north-east/systems.write', true],
    ['region/london/waiting-lists.read', true],
    ['region/south-west/scorecards.read', true],
    ['region/yorkshire/audit.read', true],
    ['region/*/systems.write', false], // a requirement, never grantable
    ['region/north-east/systems.delete', false],
    ['region/North-East/systems.read', false],
    ['region//systems.read', false],
    ['region/north-east', false],
    ['region/north-east/systems.read/x', false],
  ])('%s grantable=%s', (scope, ok) => {
    expect(isValidScope(scope)).toBe(ok);
  });

  it('parses the wildcard as a requirement', () => {
    expect(parseRegionScope('region/*/audit.read')).toEqual({
      kind: 'region',
      region: '*',
      action: 'audit.read',
    });
  });

  it('a region scope satisfies its own region only; write implies read, nothing else', () => {
    expect(scopeSatisfies([NE], 'region/north-east/systems.write')).toBe(true);
    expect(scopeSatisfies([NE], 'region/north-east/systems.read')).toBe(true);
    expect(scopeSatisfies([NE], 'region/london/systems.write')).toBe(false);
    expect(scopeSatisfies([NE], 'region/north-east/waiting-lists.read')).toBe(false);
    expect(scopeSatisfies(['region/north-east/systems.read'], NE)).toBe(false);
    expect(scopeSatisfies([NE], 'region/*/systems.read')).toBe(true);
    expect(scopeSatisfies(['region/*/systems.write'], 'region/*/systems.write')).toBe(false);
    expect(scopeSatisfies(['trellis/region.admin'], 'region/north-east/systems.write')).toBe(false);
    expect(scopeSatisfies(['system/*.cruds'], 'region/*/systems.read')).toBe(false);
  });

  it('the national operator satisfies every region scope; a region scope is not national', () => {
    expect(scopeSatisfies(['trellis/admin'], 'region/london/audit.read')).toBe(true);
    expect(scopeSatisfies(['trellis/admin'], 'region/*/systems.write')).toBe(true);
    expect(scopeSatisfies([NE], 'trellis/admin')).toBe(false);
  });

  it('mayActInRegion needs the scope and the token region to agree', () => {
    const ne = { scopes: [NE], region: 'north-east' };
    expect(mayActInRegion(ne, 'north-east', 'systems.write')).toBe(true);
    expect(mayActInRegion(ne, 'north-east', 'systems.read')).toBe(true);
    expect(mayActInRegion(ne, 'london', 'systems.write')).toBe(false);
    expect(mayActInRegion(ne, '*', 'systems.write')).toBe(false);
    expect(mayActInRegion(ne, 'north-east', 'audit.read')).toBe(false);
    // a scope for another region than the token's acts nowhere
    expect(mayActInRegion({ scopes: [NE], region: 'london' }, 'north-east', 'systems.write')).toBe(
      false,
    );
    expect(mayActInRegion({ scopes: [NE], region: 'london' }, 'london', 'systems.write')).toBe(
      false,
    );
    const national = { scopes: ['trellis/admin'], region: 'london' };
    expect(mayActInRegion(national, 'north-east', 'systems.write')).toBe(true);
    const local = { scopes: ['system/*.cruds'], region: 'north-east' };
    expect(mayActInRegion(local, 'north-east', 'systems.read')).toBe(false);
  });

  it("trellis/region.admin (the console's) acts for systems and audit in the token's region only", () => {
    expect(scopeSatisfies(['trellis/region.admin'], 'region/*/systems.write')).toBe(true);
    expect(scopeSatisfies(['trellis/region.admin'], 'region/*/waiting-lists.read')).toBe(false);
    const qhm = { scopes: ['trellis/region.admin'], region: 'north-east' };
    expect(mayActInRegion(qhm, 'north-east', 'systems.write')).toBe(true);
    expect(mayActInRegion(qhm, 'north-east', 'audit.read')).toBe(true);
    expect(mayActInRegion(qhm, 'london', 'systems.write')).toBe(false);
    expect(mayActInRegion(qhm, 'north-east', 'scorecards.read')).toBe(false);
  });

  it('the token endpoint grants only region scopes given to the system, exactly', () => {
    expect(scopesWithin([NE], [NE])).toBe(true);
    expect(scopesWithin(['region/north-east/systems.read'], [NE])).toBe(false);
    expect(scopesWithin(['region/london/systems.write'], [NE])).toBe(false);
    expect(scopesWithin(['region/north-east/systems.write'], ['trellis/admin'])).toBe(false);
  });

  it('regionsAllowed lists the regions of the granted scopes', () => {
    expect(
      regionsAllowed([NE, 'region/north-east/audit.read', 'region/*/audit.read'], 'systems.read'),
    ).toEqual(new Set(['north-east']));
    expect(regionsAllowed(['trellis/admin'], 'audit.read')).toBe('all');
  });

  it('compliance enforcement keeps the read region scopes and drops systems.write', () => {
    expect(readOnlyScopes([NE, 'region/north-east/waiting-lists.read'])).toEqual([
      'region/north-east/waiting-lists.read',
    ]);
  });
});
