import { assertScopeTableCovers, listGrpcMethods } from '@trellis/auth/testing';
import { join } from 'node:path';

import { REFERRALS_SCOPES } from './scopes';

describe('referrals scope table', () => {
  it('declares a scope for every gRPC method', () => {
    const root = join(__dirname, '../../../../../proto');
    const methods = listGrpcMethods(join(root, 'trellis/referrals/v1/referrals.proto'), {
      includeDirs: [root],
      packagePrefix: 'trellis.referrals.v1.',
    });
    expect(methods.length).toBe(22);
    assertScopeTableCovers(REFERRALS_SCOPES, methods);
  });

  it('audits every method that returns patient data, and not the aggregate waiting lists', () => {
    for (const [key, rule] of Object.entries(REFERRALS_SCOPES)) {
      const audited = 'patientData' in rule && rule.patientData === true;
      expect([key, audited]).toEqual([key, !key.includes('WaitingList')]);
    }
  });
});
