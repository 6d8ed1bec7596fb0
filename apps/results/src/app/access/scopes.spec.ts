import { assertScopeTableCovers, listGrpcMethods } from '@trellis/auth/testing';
import { join } from 'node:path';

import { RESULTS_SCOPES } from './scopes';

describe('results scope table', () => {
  it('declares a scope for every gRPC method', () => {
    const root = join(__dirname, '../../../../../proto');
    const methods = listGrpcMethods(join(root, 'trellis/results/v1/results.proto'), {
      includeDirs: [root],
      packagePrefix: 'trellis.results.v1.',
    });
    expect(methods.length).toBe(10);
    assertScopeTableCovers(RESULTS_SCOPES, methods);
  });

  it('audits every method (all touch patient data)', () => {
    for (const [key, rule] of Object.entries(RESULTS_SCOPES)) {
      expect([key, 'patientData' in rule && rule.patientData === true]).toEqual([key, true]);
    }
  });
});
