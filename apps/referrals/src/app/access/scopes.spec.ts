import { assertScopeTableCoversProto, patientDataMethods } from '@trellis/auth/testing';

import { REFERRALS_SCOPES } from './scopes';

describe('referrals scope table', () => {
  it('declares a scope for every gRPC method', () => {
    assertScopeTableCoversProto(REFERRALS_SCOPES, 'trellis/referrals/v1/referrals.proto', 22);
  });

  it('audits every method that returns patient data, and not the aggregate waiting lists', () => {
    expect(patientDataMethods(REFERRALS_SCOPES)).toEqual(
      Object.keys(REFERRALS_SCOPES).filter((key) => !key.includes('WaitingList')),
    );
  });
});
