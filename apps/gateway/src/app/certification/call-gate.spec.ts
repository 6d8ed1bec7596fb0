import { AuthError, AuthErrorCode, type Caller } from '@trellis/auth';

import { type LifecycleService, type SystemStanding } from '../regions/lifecycle.service';
import { CALL_RULES, CallLifecycleGate, decideCall, reachesPlatforms } from './call-gate';
import { type CertificationService } from './certification.service';

const gp = (lifecycle: string | null, inSession = false) =>
  decideCall({ systemId: 'sys-1', lifecycle, role: 'gp-system', inSession });

describe('decideCall (the lifecycle rule for calls to the platforms)', () => {
  it('admits a live system, in a session or not', () => {
    expect(gp('live')).toEqual({ ok: true });
    expect(gp('live', true)).toEqual({ ok: true });
  });

  it.each(['sandbox', 'certified'])('admits a %s system only within its session', (state) => {
    expect(gp(state, true)).toEqual({ ok: true, inSession: true });
    const refused = gp(state);
    expect(refused).toMatchObject({ ok: false, rule: CALL_RULES.sessionOnly });
    expect(!refused.ok && refused.message).toContain(`sys-1 is ${state}, not live`);
    expect(!refused.ok && refused.message).toContain('only within a conformance session');
  });

  it('refuses a registered system, session or not (it cannot hold one)', () => {
    expect(gp('registered')).toMatchObject({ ok: false, rule: CALL_RULES.registered });
    expect(gp('registered', true)).toMatchObject({ ok: false, rule: CALL_RULES.registered });
  });

  it('refuses a system the registry does not know (fail closed)', () => {
    expect(gp(null)).toMatchObject({ ok: false, rule: CALL_RULES.unknown });
  });

  it.each(['hospital-epr', 'lab-lims'])('binds the %s role like gp-system', (role) => {
    expect(decideCall({ systemId: 's', lifecycle: 'sandbox', role, inSession: false }).ok).toBe(
      false,
    );
  });

  it('refuses a local system of a role without a conformance scheme until it is live (it has no session)', () => {
    for (const lifecycle of ['sandbox', 'certified']) {
      const refused = decideCall({ systemId: 's', lifecycle, role: 'other', inSession: false });
      expect(refused).toMatchObject({ ok: false, rule: CALL_RULES.noSchemeNotLive });
      expect(!refused.ok && refused.message).toContain(
        `system s is ${lifecycle}, not live, and its product's role other has no conformance scheme`,
      );
      expect(!refused.ok && refused.message).toContain('until the national operator moves it live');
    }
    expect(
      decideCall({ systemId: 's', lifecycle: 'registered', role: 'other', inSession: false }),
    ).toMatchObject({ ok: false, rule: CALL_RULES.registered });
    expect(
      decideCall({ systemId: 's', lifecycle: 'live', role: 'other', inSession: false }),
    ).toEqual({ ok: true });
  });

  it("does not bind the national operator's nor a regional authority's own systems (not local systems)", () => {
    for (const lifecycle of ['registered', 'sandbox', 'certified'])
      expect(
        decideCall({ systemId: 's', lifecycle, role: 'other', inSession: false, governance: true }),
      ).toEqual({ ok: true });
    // not in the registry: refused whatever it claims
    expect(
      decideCall({
        systemId: 's',
        lifecycle: null,
        role: 'other',
        inSession: false,
        governance: true,
      }),
    ).toMatchObject({ ok: false, rule: CALL_RULES.unknown });
  });
});

describe('reachesPlatforms', () => {
  it.each([
    ['system/Patient.r', true],
    ['system/DiagnosticReport.c', true],
    ['system/Subscription.c', true],
    ['region/*/waiting-lists.read', true],
    ['system/TestReport.c', false],
    ['system/MeasureReport.rs', false],
    ['trellis/admin', false],
    ['region/*/systems.write', false],
  ])('%s → %s, asked again too', (scope, expected) => {
    expect(reachesPlatforms({ key: 'GET /x', requiredScope: scope })).toBe(expected);
    expect(reachesPlatforms({ key: 'GET /y', requiredScope: scope })).toBe(expected);
  });

  it('every call the gRPC front door forwards reaches a platform; a public call does not', () => {
    expect(
      reachesPlatforms({ key: '/trellis.identity.v1.PatientService/GetPatient', forwarded: true }),
    ).toBe(true);
    expect(reachesPlatforms({ key: 'GET /fhir/TestScript' })).toBe(false);
  });
});

describe('CallLifecycleGate.admit', () => {
  const caller: Caller = {
    systemId: 'sys-1',
    odsCode: 'A81001',
    region: 'north-east',
    scopes: ['system/Patient.rs'],
    tokenId: 't',
    expiresAt: 0,
  };
  function gateWith(standing: SystemStanding | null, session: boolean) {
    const lifecycle = { standingOf: jest.fn().mockResolvedValue(standing) };
    const certification = {
      openSessionOf: jest.fn().mockResolvedValue(session ? { id: 'session-1' } : null),
    };
    const gate = new CallLifecycleGate(
      lifecycle as unknown as LifecycleService,
      certification as unknown as CertificationService,
    );
    return { gate, lifecycle, certification };
  }
  const platformCall = { key: 'GET /fhir/Patient/:id', requiredScope: 'system/Patient.r' };

  it('refuses a sandbox system outside a session with an AuthError naming the rule', async () => {
    const { gate } = gateWith(
      { lifecycle: 'sandbox', role: 'gp-system', governance: false },
      false,
    );
    const err = await gate.admit(caller, platformCall).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({
      code: AuthErrorCode.NotAdmitted,
      kind: 'forbidden',
      rule: CALL_RULES.sessionOnly,
      caller,
    });
  });

  it('admits the same system within its session, and a live one without looking for a session', async () => {
    await expect(
      gateWith({ lifecycle: 'sandbox', role: 'gp-system', governance: false }, true).gate.admit(
        caller,
        platformCall,
      ),
    ).resolves.toBeUndefined();
    const live = gateWith({ lifecycle: 'live', role: 'gp-system', governance: false }, false);
    await expect(live.gate.admit(caller, platformCall)).resolves.toBeUndefined();
    expect(live.certification.openSessionOf).not.toHaveBeenCalled();
  });

  it('within a session refuses a gRPC message naming an NHS number outside the 999 range', async () => {
    const { gate } = gateWith(
      { lifecycle: 'certified', role: 'gp-system', governance: false },
      true,
    );
    const grpc = (message: unknown) => ({
      key: '/trellis.identity.v1.PatientService/MergePatients',
      forwarded: true,
      message: () => message,
    });
    await expect(
      gate.admit(caller, grpc({ survivorNhsNumber: '9990000018', nhsNumbers: ['9990000026'] })),
    ).resolves.toBeUndefined();
    await expect(
      gate.admit(caller, grpc({ survivorNhsNumber: '9990000018', nhsNumbers: ['9434765919'] })),
    ).rejects.toMatchObject({
      rule: CALL_RULES.sandboxData,
      message: expect.stringContaining('9434765919'),
    });
    // a live system's calls are production: no sandbox data rule
    const live = gateWith({ lifecycle: 'live', role: 'gp-system', governance: false }, false).gate;
    await expect(live.admit(caller, grpc({ nhsNumber: '9434765919' }))).resolves.toBeUndefined();
  });

  it('refuses a sandbox system of role other without looking for a session; admits a governance principal', async () => {
    const other = gateWith({ lifecycle: 'sandbox', role: 'other', governance: false }, true);
    await expect(other.gate.admit(caller, platformCall)).rejects.toMatchObject({
      code: AuthErrorCode.NotAdmitted,
      rule: CALL_RULES.noSchemeNotLive,
    });
    expect(other.certification.openSessionOf).not.toHaveBeenCalled();
    const authority = gateWith({ lifecycle: 'sandbox', role: 'other', governance: true }, false);
    await expect(
      authority.gate.admit(
        { ...caller, odsCode: 'YRA01', scopes: ['region/north-east/waiting-lists.read'] },
        { key: 'GET /fhir/MeasureReport', requiredScope: 'region/*/waiting-lists.read' },
      ),
    ).resolves.toBeUndefined();
    expect(authority.certification.openSessionOf).not.toHaveBeenCalled();
  });

  it('never looks up calls that do not reach the platforms, nor patient tokens', async () => {
    const { gate, lifecycle } = gateWith(
      { lifecycle: 'registered', role: 'gp-system', governance: false },
      false,
    );
    await gate.admit(caller, {
      key: 'POST /fhir/TestScript/$start-session',
      requiredScope: 'system/TestReport.c',
    });
    await gate.admit({ ...caller, patient: '9990000018' }, platformCall);
    expect(lifecycle.standingOf).not.toHaveBeenCalled();
  });
});
