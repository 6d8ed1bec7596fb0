import { testCaller } from '@trellis/auth/testing';

import { viewerOf } from './viewer';

const caller = (scopes: string[], region = 'north-east') => testCaller({ scopes, region });

describe('audit viewer', () => {
  it("a region's audit.read scope reads the region's audit (issue 18)", () => {
    expect(viewerOf(caller(['system/AuditEvent.s', 'region/north-east/audit.read']))).toEqual({
      kind: 'region',
      region: 'north-east',
    });
  });

  it("another region's scope, or none, leaves the organisation's own audit", () => {
    expect(viewerOf(caller(['system/AuditEvent.s', 'region/london/audit.read']))).toEqual({
      kind: 'organisation',
      odsCode: 'YRA01',
    });
    expect(viewerOf(caller(['system/AuditEvent.s']))).toEqual({
      kind: 'organisation',
      odsCode: 'YRA01',
    });
    expect(viewerOf(caller(['system/AuditEvent.s', 'region/north-east/systems.read']))).toEqual({
      kind: 'organisation',
      odsCode: 'YRA01',
    });
  });

  it('the national operator reads everything', () => {
    expect(viewerOf(caller(['trellis/admin']))).toEqual({ kind: 'operator' });
  });
});
