import { assertScopeTableCoversProto, patientDataMethods } from '@trellis/auth/testing';

import { AUDIT_SCOPES } from './scopes';

describe('audit scope table', () => {
  it('declares a scope for every gRPC method', () => {
    assertScopeTableCoversProto(AUDIT_SCOPES, 'trellis/audit/v1/audit.proto', 3);
  });

  it('audits every method (reading a patient audit is reading patient data)', () => {
    expect(patientDataMethods(AUDIT_SCOPES)).toEqual(Object.keys(AUDIT_SCOPES));
  });
});
