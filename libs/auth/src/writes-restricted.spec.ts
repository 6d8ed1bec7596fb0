import { events } from '@trellis/contracts';

import { authenticateBearer } from './auth.guard';
import { decodeSystemStatus } from './contracts-codec';
import { AuthErrorCode } from './errors';
import { readOnlyScopes, scopeSatisfies } from './scopes';
import { SystemStatusRegistry } from './system-status';
import { createTestAuthority } from '../testing';
import { AccessTokenVerifier } from './token-verifier';

describe('compliance enforcement: write scopes withdrawn, reads kept', () => {
  it('readOnlyScopes keeps r and s, drops write-only scopes, keeps Trellis scopes', () => {
    expect(
      readOnlyScopes([
        'system/Patient.cruds',
        'system/Appointment.cud',
        'system/Observation.rs',
        'system/*.cruds',
        'trellis/restricted.read',
      ]),
    ).toEqual([
      'system/Patient.rs',
      'system/Observation.rs',
      'system/*.rs',
      'trellis/restricted.read',
    ]);
    const reads = readOnlyScopes(['system/Patient.cruds']);
    expect(scopeSatisfies(reads, 'system/Patient.r')).toBe(true);
    expect(scopeSatisfies(reads, 'system/Patient.c')).toBe(false);
    expect(scopeSatisfies(reads, 'system/Patient.u')).toBe(false);
  });

  it('the suspension feed carries the restriction; a newer state lifts it', () => {
    const registry = new SystemStatusRegistry();
    const state = (version: number, writesRestricted: boolean) =>
      decodeSystemStatus(
        events.v1.ConnectedSystemChanged.encode(
          events.v1.ConnectedSystemChanged.fromPartial({
            systemId: 'sys-1',
            status: events.v1.ConnectedSystemState.CONNECTED_SYSTEM_STATE_ACTIVE,
            version,
            writesRestricted,
          }),
        ).finish(),
      )!;
    registry.apply(state(2, true));
    expect(registry.isWritesRestricted('sys-1')).toBe(true);
    expect(registry.isSuspended('sys-1')).toBe(false);
    registry.apply(state(1, false)); // older: ignored
    expect(registry.isWritesRestricted('sys-1')).toBe(true);
    registry.apply(state(3, false));
    expect(registry.isWritesRestricted('sys-1')).toBe(false);
  });

  it('a restricted system authenticates with its read scopes only (both doors use this)', async () => {
    const authority = await createTestAuthority();
    const verifier = new AccessTokenVerifier({
      issuer: authority.issuer,
      keySet: authority.keySet,
    });
    const registry = new SystemStatusRegistry();
    registry.markReady();
    const token = await authority.issue({ systemId: 'sys-1', scopes: ['system/Patient.cruds'] });
    const before = await authenticateBearer(verifier, registry, `Bearer ${token}`, undefined, 100);
    expect([before.scopes, before.writesRestricted]).toEqual([['system/Patient.cruds'], undefined]);
    registry.apply({ systemId: 'sys-1', status: 'active', version: 2, writesRestricted: true });
    const after = await authenticateBearer(verifier, registry, `Bearer ${token}`, undefined, 100);
    expect([after.scopes, after.writesRestricted]).toEqual([['system/Patient.rs'], true]);
    expect(AuthErrorCode.WritesRestricted).toBe('WRITES_RESTRICTED');
  });

  it('a suspended system is refused with the caller named (so the refusal is attributable)', async () => {
    const authority = await createTestAuthority();
    const verifier = new AccessTokenVerifier({
      issuer: authority.issuer,
      keySet: authority.keySet,
    });
    const registry = new SystemStatusRegistry();
    registry.markReady();
    registry.apply({ systemId: 'sys-2', status: 'suspended', version: 1 });
    const token = await authority.issue({ systemId: 'sys-2', scopes: ['system/Patient.rs'] });
    await expect(
      authenticateBearer(verifier, registry, `Bearer ${token}`, undefined, 100),
    ).rejects.toMatchObject({ code: AuthErrorCode.SystemSuspended, caller: { systemId: 'sys-2' } });
  });
});
