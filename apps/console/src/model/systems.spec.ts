import type { Session } from '../auth';
import {
  lifecycleLabel,
  lifecycleOffer,
  NATIONAL_LIVE,
  NEXT_STEP,
  type SystemSummary,
} from './systems';

const session = (role: Session['role'], scopes: string[], region?: string): Session => ({
  accessToken: 't',
  expiresAt: 0,
  role,
  name: 'A. Tester',
  scopes,
  ...(region ? { region } : {}),
});
const operator = session('operator', ['trellis/admin']);
const authority = session('regional', ['region/north-east/systems.write'], 'north-east');
const supplier = session('supplier', ['system/Patient.r']);

const system = (lifecycle: string, productRole?: string): SystemSummary => ({
  id: 'sys-tees-gp',
  name: 'Tees Valley GP',
  supplier: 'Legacy Ltd',
  odsCode: 'A81001',
  region: 'north-east',
  status: 'active',
  suspensionReason: '',
  productVersionId: 'unclassified@legacy',
  writesRestricted: false,
  lifecycle,
  ...(productRole ? { productRole } : {}),
  allowedScopes: ['system/Patient.r'],
  version: 1,
  changedAt: '2026-12-07T06:00:00.000Z',
  changedBy: 'operator',
});

describe('the lifecycle move the console offers', () => {
  it('offers no Certify for a role-other system in the sandbox, to anyone', () => {
    for (const who of [operator, authority]) {
      const offer = lifecycleOffer(who, system('sandbox', 'other'));
      expect(offer).toBeDefined();
      expect(offer?.kind === 'act' ? offer.to : 'none').not.toBe('certified');
      expect(offer?.kind === 'act' ? offer.label : '').not.toMatch(/certif/i);
    }
  });

  it('offers the national operator the go-live of a role-other sandbox system (a national act, with a reason)', () => {
    expect(lifecycleOffer(operator, system('sandbox', 'other'))).toEqual({
      kind: 'act',
      to: 'live',
      label: 'Approve live (national act)',
    });
    expect(NATIONAL_LIVE.label).toBe('Approve live (national act)');
  });

  it('tells a regional authority that the go-live of a role-other system needs the national operator', () => {
    const offer = lifecycleOffer(authority, system('sandbox', 'other'));
    expect(offer?.kind).toBe('explain');
    expect(offer?.kind === 'explain' && offer.text).toMatch(/national operator/);
  });

  it('admits a registered role-other system to the sandbox as any other', () => {
    expect(lifecycleOffer(authority, system('registered', 'other'))).toEqual({
      kind: 'act',
      ...NEXT_STEP.registered,
    });
  });

  it('keeps sandbox → certified → live for roles with a conformance scheme', () => {
    expect(lifecycleOffer(authority, system('sandbox', 'gp-system'))).toEqual({
      kind: 'act',
      to: 'certified',
      label: 'Mark certified',
    });
    expect(lifecycleOffer(authority, system('certified', 'hospital-epr'))).toEqual({
      kind: 'act',
      to: 'live',
      label: 'Approve go-live',
    });
    expect(lifecycleOffer(operator, system('live', 'lab-lims'))).toBeUndefined();
  });

  it('offers nothing to a session that may not move systems', () => {
    expect(lifecycleOffer(supplier, system('sandbox', 'other'))).toBeUndefined();
    expect(
      lifecycleOffer(session('regional', [], 'north-east'), system('sandbox')),
    ).toBeUndefined();
  });

  it('offers no lifecycle move for a governance client (the operator’s or an authority’s), to anyone, in any state', () => {
    for (const lifecycle of ['registered', 'sandbox', 'certified', 'live'])
      for (const who of [operator, authority]) {
        const governance = { ...system(lifecycle, 'other'), odsCode: 'YRA01', governance: true };
        expect(lifecycleOffer(who, governance)).toBeUndefined();
        expect(lifecycleLabel(governance)).toBe('governance client');
      }
    // the same row of a local organisation is offered its next step
    expect(lifecycleOffer(operator, { ...system('sandbox', 'other'), governance: false })).toEqual({
      kind: 'act',
      ...NATIONAL_LIVE,
    });
    expect(lifecycleLabel(system('sandbox', 'other'))).toBe('sandbox');
  });
});
