import type { Caller } from './caller';
import { AuthError, AuthErrorCode } from './errors';
import { assertOwnPatient, CITIZEN_SUBJECT_PREFIX, requiredScopeOf } from './patient-access';
import type { ProtectedRule } from './scope-table';
import { createTestAuthority } from '../testing';
import { AccessTokenVerifier } from './token-verifier';

const system: Caller = {
  systemId: 'gp-1',
  odsCode: 'Y12345',
  region: 'north-east',
  scopes: ['system/Patient.rs'],
  tokenId: 't',
  expiresAt: 0,
};
const citizen: Caller = {
  systemId: `${CITIZEN_SUBJECT_PREFIX}abc`,
  odsCode: '',
  region: '',
  scopes: ['patient/*.rs'],
  tokenId: 't',
  expiresAt: 0,
  patient: '9990000018',
};
const byId = (req: unknown) => ({ nhsNumber: (req as { id: string }).id });
const read: ProtectedRule = { scope: 'system/Patient.r', patientData: true, subject: byId };
const readForPatients: ProtectedRule = { ...read, patientAccess: true };

const code = (fn: () => unknown): AuthErrorCode | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof AuthError ? e.code : undefined;
  }
};

describe('patient tokens', () => {
  it("a system needs the rule's scope; a citizen its patient/ twin, only where patients are admitted", () => {
    expect(requiredScopeOf(system, read)).toBe('system/Patient.r');
    expect(requiredScopeOf(citizen, readForPatients)).toBe('patient/Patient.r');
    expect(code(() => requiredScopeOf(citizen, read))).toBe(AuthErrorCode.InsufficientScope);
    expect(
      code(() => requiredScopeOf(citizen, { scope: 'trellis/admin', patientAccess: true })),
    ).toBe(AuthErrorCode.InsufficientScope);
  });

  it('a citizen naming another patient is refused; their own passes; systems are not concerned', () => {
    expect(code(() => assertOwnPatient(citizen, readForPatients, { id: '9990000018' }))).toBe(
      undefined,
    );
    expect(code(() => assertOwnPatient(citizen, readForPatients, { id: '9990000026' }))).toBe(
      AuthErrorCode.InsufficientScope,
    );
    expect(code(() => assertOwnPatient(system, readForPatients, { id: '9990000026' }))).toBe(
      undefined,
    );
  });

  it('the verifier reads a patient token as a citizen caller and refuses malformed ones', async () => {
    const authority = await createTestAuthority();
    const verifier = new AccessTokenVerifier({
      issuer: authority.issuer,
      audience: authority.audience,
      keySet: authority.keySet,
      cache: false,
    });
    const sub = `${CITIZEN_SUBJECT_PREFIX}abc`;
    const ok = await authority.issue({
      systemId: sub,
      scopes: ['patient/*.rs'],
      claims: { patient: '9990000018', ods_code: undefined, region: undefined },
    });
    expect(await verifier.verify(ok)).toMatchObject({
      systemId: sub,
      odsCode: '',
      patient: '9990000018',
      scopes: ['patient/*.rs'],
    });
    for (const bad of [
      { systemId: sub, scopes: ['system/Patient.rs'], claims: { patient: '9990000018' } },
      { systemId: 'gp-1', scopes: ['patient/*.rs'], claims: { patient: '9990000018' } },
      { systemId: sub, scopes: ['patient/*.rs'], claims: { patient: '99900' } },
    ]) {
      const err = await verifier.verify(await authority.issue(bad)).catch((e: unknown) => e);
      expect((err as AuthError).code).toBe(AuthErrorCode.InvalidToken);
    }
  });
});
