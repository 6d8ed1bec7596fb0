import { assertScopeTableCovers, listGrpcMethods } from '@trellis/auth/testing';
import { join } from 'node:path';

import { APPOINTMENTS_SCOPES } from './scopes';

describe('appointments scope table', () => {
  it('declares a scope for every gRPC method', () => {
    const root = join(__dirname, '../../../../../proto');
    const methods = listGrpcMethods(join(root, 'trellis/appointments/v1/appointments.proto'), {
      includeDirs: [root],
      packagePrefix: 'trellis.appointments.v1.',
    });
    expect(methods.length).toBe(18);
    assertScopeTableCovers(APPOINTMENTS_SCOPES, methods);
  });

  it('audits every appointment (and appointment export) method and no schedule method', () => {
    for (const [key, rule] of Object.entries(APPOINTMENTS_SCOPES)) {
      expect([key, 'patientData' in rule && rule.patientData === true]).toEqual([
        key,
        /Appointment(Export)?Service/.test(key),
      ]);
    }
  });
});
