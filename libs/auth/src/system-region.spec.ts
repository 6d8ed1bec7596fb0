import { events } from '@trellis/contracts';

import { decodeSystemStatus } from './contracts-codec';
import { SystemStatusRegistry } from './system-status';

const state = (odsCode: string, region: string, version = 1, systemId = 'sys-1', pv = '') =>
  decodeSystemStatus(
    events.v1.ConnectedSystemChanged.encode(
      events.v1.ConnectedSystemChanged.fromPartial({
        systemId,
        odsCode,
        region,
        productVersionId: pv,
        status: events.v1.ConnectedSystemState.CONNECTED_SYSTEM_STATE_ACTIVE,
        version,
      }),
    ).finish(),
  )!;

describe('the suspension feed names a system’s region (issue 18)', () => {
  it("the organisation's region from the reference data wins over the registry's claim", () => {
    const registry = new SystemStatusRegistry();
    registry.apply(state('A81001', 'london'));
    expect(registry.regionOf('sys-1')).toBe('north-east');
  });

  it("an organisation outside the reference data keeps the registry's region; unknown systems have none", () => {
    const registry = new SystemStatusRegistry();
    registry.apply(state('ZZZ99', 'london'));
    expect(registry.regionOf('sys-1')).toBe('london');
    expect(registry.regionOf('sys-2')).toBeUndefined();
  });

  it('lists the systems it knows, one region’s or all, with their product versions', () => {
    const registry = new SystemStatusRegistry();
    registry.apply(state('ZZZ99', 'london', 1, 'sys-b', 'acme@2'));
    registry.apply(state('A81001', 'london', 1, 'sys-a', 'acme@1'));
    registry.apply(state('ZZZ98', 'north-west', 1, 'sys-c'));
    expect(registry.known('north-east')).toEqual([
      { systemId: 'sys-a', status: 'active', region: 'north-east', productVersionId: 'acme@1' },
    ]);
    expect(registry.known().map((s) => s.systemId)).toEqual(['sys-a', 'sys-b', 'sys-c']);
    expect(registry.known('north-west')[0]).not.toHaveProperty('productVersionId');
  });
});

describe('the suspension feed carries the allowed scopes (issue 21: push delivery re-checks them)', () => {
  it('keeps the latest state’s scopes; unknown systems have none', () => {
    const registry = new SystemStatusRegistry();
    const scoped = (version: number, allowedScopes: string[]) =>
      decodeSystemStatus(
        events.v1.ConnectedSystemChanged.encode(
          events.v1.ConnectedSystemChanged.fromPartial({
            systemId: 'sys-1',
            status: events.v1.ConnectedSystemState.CONNECTED_SYSTEM_STATE_ACTIVE,
            version,
            allowedScopes,
          }),
        ).finish(),
      )!;
    registry.apply(scoped(2, ['system/DiagnosticReport.rs']));
    registry.apply(scoped(1, ['system/*.cruds'])); // older: ignored
    expect(registry.allowedScopesOf('sys-1')).toEqual(['system/DiagnosticReport.rs']);
    expect(registry.allowedScopesOf('sys-2')).toBeUndefined();
  });
});
