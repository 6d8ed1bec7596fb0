import { decide, roleScopes, type CertificateFacts } from './certificate-gate';

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
