import { assertScopeTableCoversProto, patientDataMethods } from '@trellis/auth/testing';

import { RESULTS_SCOPES } from './scopes';

describe('results scope table', () => {
  it('declares a scope for every gRPC method', () => {
    assertScopeTableCoversProto(RESULTS_SCOPES, 'trellis/results/v1/results.proto', 10);
  });

  it('audits every method (all touch patient data)', () => {
    expect(patientDataMethods(RESULTS_SCOPES)).toEqual(Object.keys(RESULTS_SCOPES));
  });
});
