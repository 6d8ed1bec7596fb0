import { toListedSummary } from './systems.admin.controller';
import { type ListedSystem } from './systems.repository';

const listed = (odsCode: string, role: string): ListedSystem =>
  ({
    id: `sys-${odsCode}`,
    name: 'A system',
    supplier: 'Trellis',
    odsCode,
    region: 'north-east',
    jwks: null,
    jwksUrl: 'https://example.test/jwks',
    allowedScopes: [],
    status: 'active',
    suspensionReason: null,
    rateLimitPerWindow: null,
    version: 1,
    createdBy: 'x',
    createdAt: new Date('2026-12-07T09:00:00Z'),
    changedBy: 'x',
    changedAt: new Date('2026-12-07T09:00:00Z'),
    productVersionId: 'unclassified@legacy',
    writesRestricted: false,
    lifecycle: 'sandbox',
    productVersion: { product: { role } },
  }) as unknown as ListedSystem;

describe('registry listing rows', () => {
  it('mark the national operator’s and the regional authorities’ systems as governance clients', () => {
    expect(toListedSummary(listed('X26', 'other'))).toMatchObject({
      governance: true,
      productRole: 'other',
    });
    expect(toListedSummary(listed('YRA01', 'other')).governance).toBe(true);
    expect(toListedSummary(listed('YRA08', 'other')).governance).toBe(true);
    // local systems, whatever their role, are onboarded through the lifecycle
    expect(toListedSummary(listed('A81001', 'gp_system'))).toMatchObject({
      governance: false,
      productRole: 'gp-system',
    });
    expect(toListedSummary(listed('QHM', 'other')).governance).toBe(false);
  });
});
