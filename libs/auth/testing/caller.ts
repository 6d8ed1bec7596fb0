import type { Caller } from '../src/caller';

/**
 * A verified caller for tests that need one without a token: a north-east system of YRA01 with no
 * scopes, no expiry check, unless `over` says otherwise.
 */
export function testCaller(over: Partial<Caller> = {}): Caller {
  return {
    systemId: 'sys-1',
    odsCode: 'YRA01',
    region: 'north-east',
    scopes: [],
    tokenId: 't',
    expiresAt: 0,
    ...over,
  };
}
