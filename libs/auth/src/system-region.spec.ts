import { events } from '@trellis/contracts';

import { decodeSystemStatus } from './contracts-codec';
import { SystemStatusRegistry } from './system-status';

const state = (odsCode: string, region: string, version = 1) =>
  decodeSystemStatus(
    events.v1.ConnectedSystemChanged.encode(
      events.v1.ConnectedSystemChanged.fromPartial({
        systemId: 'sys-1',
        odsCode,
        region,
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
});
