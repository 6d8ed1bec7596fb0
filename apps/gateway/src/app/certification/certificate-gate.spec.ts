import {
  certificateGate,
  decide,
  roleScopes,
  type CertificateFacts,
  type CertificateFactsSource,
} from './certificate-gate';

const NOW = new Date('2026-12-06T21:00:00Z');
const LATER = new Date('2027-12-06T21:00:00Z');
const GP = ['system/Patient.cruds', 'system/DiagnosticReport.rus', 'system/TestReport.crs'];
const cert = (c: Partial<CertificateFacts> = {}): CertificateFacts => ({
  id: 'c-1',
  status: 'active',
  rulesVersion: 'trellis-rules-2026.12',
  expiresAt: LATER,
  ...c,
});
const gate = (over: Partial<Parameters<typeof decide>[0]> = {}) =>
  decide({
    lifecycle: 'live',
    role: 'gp-system',
    productVersionId: 'acme-gp@1.0',
    requested: GP,
    certificates: [cert()],
    now: NOW,
    ...over,
  });

describe('certificate gate', () => {
  it("a role's scopes are its clinical resource scopes (not the kit's or its scorecard)", () => {
    expect(roleScopes([...GP, 'system/MeasureReport.rs', 'trellis/admin'])).toEqual([
      'system/Patient.cruds',
      'system/DiagnosticReport.rus',
    ]);
  });

  it('a valid certificate grants the scopes and names itself', () => {
    expect(gate()).toEqual({ ok: true, certificateId: 'c-1' });
  });

  it('sandbox and certified systems, roles without a scheme and kit-only requests need no certificate', () => {
    expect(gate({ lifecycle: 'sandbox', certificates: [] })).toEqual({ ok: true });
    expect(gate({ lifecycle: 'certified', certificates: [] })).toEqual({ ok: true });
    expect(gate({ role: 'other', certificates: [] })).toEqual({ ok: true });
    expect(gate({ requested: ['system/TestReport.crs'], certificates: [] })).toEqual({ ok: true });
  });

  it('a registered system gets no role scopes at all, certificate or not; kit scopes pass', () => {
    const d = gate({ lifecycle: 'registered' });
    expect(!d.ok && d.description).toContain('registered → sandbox');
    expect(!d.ok && d.description).toContain('system/Patient.cruds');
    expect(gate({ lifecycle: 'registered', role: 'other' }).ok).toBe(false);
    expect(gate({ lifecycle: 'registered', requested: ['system/TestReport.crs'] })).toEqual({
      ok: true,
    });
  });

  it('no certificate: refused, naming the role and product version', () => {
    const d = gate({ certificates: [] });
    expect(d.ok).toBe(false);
    expect(!d.ok && d.description).toBe(
      'production scopes of the gp-system role need a valid gp-system conformance certificate for product version acme-gp@1.0: none issued',
    );
  });

  it('expired, revoked, superseded or outdated-rules certificates do not count', () => {
    for (const c of [
      cert({ expiresAt: NOW }),
      cert({ status: 'revoked' }),
      cert({ status: 'superseded' }),
      cert({ rulesVersion: 'trellis-rules-2025.01' }),
    ])
      expect(gate({ certificates: [c] }).ok).toBe(false);
  });

  it('a new rules version: the previous one is accepted until its re-certification date', () => {
    const accepted = { 'trellis-rules-2027.06': null, 'trellis-rules-2026.12': '2027-03-01' };
    expect(gate({ accepted })).toEqual({ ok: true, certificateId: 'c-1' });
    const due = gate({ accepted, now: new Date('2027-03-01T00:00:00Z') });
    expect(!due.ok && due.description).toContain('re-certification');
    expect(!due.ok && due.description).toContain('due by 2027-03-01');
  });

  it('a suspended certificate keeps the reads and withholds the writes', () => {
    const suspended = [cert({ status: 'suspended' })];
    const writes = gate({ certificates: suspended });
    expect(!writes.ok && writes.description).toContain('c-1');
    expect(!writes.ok && writes.description).toContain('suspended by compliance enforcement');
    expect(
      gate({
        certificates: suspended,
        requested: ['system/Patient.rs', 'system/DiagnosticReport.rs'],
      }),
    ).toEqual({ ok: true, certificateId: 'c-1' });
  });
});

/** The product versions' roles and certificates, in memory; records what the gate read. */
class MemoryCertificates implements CertificateFactsSource {
  readonly roles = new Map<string, string>();
  readonly held = new Map<string, Array<CertificateFacts & { role: string }>>();
  readonly reads: string[] = [];
  async productRole(productVersionId: string): Promise<string> {
    this.reads.push(`role ${productVersionId}`);
    return this.roles.get(productVersionId) ?? 'other';
  }
  async certificates(productVersionId: string, roles: readonly string[]) {
    this.reads.push(`certificates ${productVersionId} ${roles.join(',')}`);
    return (this.held.get(productVersionId) ?? []).filter((c) => roles.includes(c.role));
  }
}

describe('certificate gate on its facts (certificateGate)', () => {
  const system = { id: 'gp-1', productVersionId: 'acme-gp@1.0', lifecycle: 'live' };
  const facts = () => {
    const f = new MemoryCertificates();
    f.roles.set('acme-gp@1.0', 'gp-system');
    return f;
  };

  it('reads nothing for a request without role scopes or a system not live', async () => {
    const f = facts();
    expect(await certificateGate(f, system, ['system/TestReport.crs'], NOW)).toEqual({ ok: true });
    expect(await certificateGate(f, { ...system, lifecycle: 'sandbox' }, GP, NOW)).toEqual({
      ok: true,
    });
    const registered = await certificateGate(f, { ...system, lifecycle: 'registered' }, GP, NOW);
    expect(registered.ok).toBe(false);
    expect(f.reads).toEqual([]);
  });

  it("a live system: the product's role, then only that role's certificates", async () => {
    const f = facts();
    f.held.set('acme-gp@1.0', [
      { ...cert({ id: 'lab-1' }), role: 'lab-system' },
      { ...cert({ id: 'gp-1' }), role: 'gp-system' },
    ]);
    expect(await certificateGate(f, system, GP, NOW)).toEqual({ ok: true, certificateId: 'gp-1' });
    expect(f.reads).toEqual(['role acme-gp@1.0', 'certificates acme-gp@1.0 gp-system']);
  });

  it("a live system without its role's certificate is refused; a role without a scheme passes", async () => {
    const f = facts();
    f.held.set('acme-gp@1.0', [{ ...cert({ id: 'lab-1' }), role: 'lab-system' }]);
    const d = await certificateGate(f, system, GP, NOW);
    expect(!d.ok && d.description).toContain('need a valid gp-system conformance certificate');
    const other = await certificateGate(f, { ...system, productVersionId: 'tool@2' }, GP, NOW);
    expect(other).toEqual({ ok: true });
  });
});
