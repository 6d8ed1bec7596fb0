import { assertScopeTableCoversProto, patientDataMethods } from '@trellis/auth/testing';

import { APPOINTMENTS_SCOPES } from './scopes';

describe('appointments scope table', () => {
  it('declares a scope for every gRPC method', () => {
    assertScopeTableCoversProto(
      APPOINTMENTS_SCOPES,
      'trellis/appointments/v1/appointments.proto',
      18,
    );
  });

  it('audits every appointment (and appointment export) method and no schedule method', () => {
    expect(patientDataMethods(APPOINTMENTS_SCOPES)).toEqual(
      Object.keys(APPOINTMENTS_SCOPES).filter((key) => /Appointment(Export)?Service/.test(key)),
    );
  });
});
