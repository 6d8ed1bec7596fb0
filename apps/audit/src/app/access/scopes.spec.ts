import { assertScopeTableCovers, listGrpcMethods } from '@trellis/auth/testing';
import { join } from 'node:path';

import { AUDIT_SCOPES } from './scopes';

describe('audit scope table', () => {
  it('declares a scope for every gRPC method', () => {
    const root = join(__dirname, '../../../../../proto');
    const methods = listGrpcMethods(join(root, 'trellis/audit/v1/audit.proto'), {
      includeDirs: [root],
      packagePrefix: 'trellis.audit.v1.',
    });
    expect(methods.length).toBe(3);
    assertScopeTableCovers(AUDIT_SCOPES, methods);
  });

  it('audits every method (reading a patient audit is reading patient data)', () => {
    for (const [key, rule] of Object.entries(AUDIT_SCOPES)) {
      expect([key, 'patientData' in rule && rule.patientData === true]).toEqual([key, true]);
    }
  });
});
