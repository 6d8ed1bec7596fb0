import { scopeSatisfies } from '@trellis/auth';
import { assertScopeTableCoversProto, scopeMatrix } from '@trellis/auth/testing';
import { IDENTITY_SCOPES } from './scopes';

describe('identity scope table', () => {
  it('declares a scope for every gRPC method (patients and the record locator)', () => {
    assertScopeTableCoversProto(IDENTITY_SCOPES, 'trellis/identity/v1/identity.proto', 9);
    assertScopeTableCoversProto(IDENTITY_SCOPES, 'trellis/records/v1/records.proto', 7);
  });

  it('gives the record locator DocumentReference scopes and finds the pointer for the audit', () => {
    const R = '/trellis.records.v1.RecordLocatorService/';
    expect(IDENTITY_SCOPES[`${R}CreatePointer`]).toMatchObject({
      scope: 'system/DocumentReference.c',
      resourceType: 'DocumentReference',
    });
    expect(IDENTITY_SCOPES[`${R}SearchPointers`]).toMatchObject({
      scope: 'system/DocumentReference.s',
    });
    const get = IDENTITY_SCOPES[`${R}GetPointer`]!;
    expect(
      'subject' in get &&
        get.subject?.({ id: 'p1' }, { pointer: { id: 'p1', nhsNumber: '9990000018' } }),
    ).toEqual({ nhsNumber: '9990000018', resourceId: 'p1' });
    const create = IDENTITY_SCOPES[`${R}CreatePointer`]!;
    expect(
      'subject' in create && create.subject?.({ pointer: { nhsNumber: '9990000026' } }),
    ).toEqual({ nhsNumber: '9990000026', resourceId: undefined });
  });

  it('marks every method as patient data (audited)', () => {
    for (const row of scopeMatrix(IDENTITY_SCOPES)) {
      expect(row.rule).toMatchObject({ patientData: true });
    }
  });

  it('reserves merging for national identity administrators, not Patient.u', () => {
    const merge = IDENTITY_SCOPES['/trellis.identity.v1.PatientService/MergePatients']!;
    expect(merge.scope).toBe('trellis/identity.admin');
    expect(scopeSatisfies(['system/Patient.cruds', 'system/*.cruds'], merge.scope!)).toBe(false);
  });

  it('finds the patient for the audit', () => {
    const get = IDENTITY_SCOPES['/trellis.identity.v1.PatientService/GetPatient']!;
    expect('subject' in get && get.subject?.({ nhsNumber: '9990000018' })).toEqual({
      nhsNumber: '9990000018',
    });
    const reg = IDENTITY_SCOPES['/trellis.identity.v1.PatientService/RegisterPatient']!;
    expect('subject' in reg && reg.subject?.({}, { patient: { nhsNumber: '9990000026' } })).toEqual(
      { nhsNumber: '9990000026' },
    );
  });
});
