import { identity } from '@trellis/contracts';

import { NHS_NUMBER_SYSTEM } from '../systems';
import { structuralIssues } from '../validator';
import { patientChangesFromFhir, patientDetailsFromFhir, patientToFhir } from './patient';

function record(over: Partial<identity.v1.Patient> = {}): identity.v1.Patient {
  return {
    nhsNumber: '9434765919',
    names: [
      {
        use: identity.v1.NameUse.NAME_USE_OFFICIAL,
        family: 'Smith',
        given: ['Jo'],
        prefix: [],
        period: undefined,
      },
    ],
    gender: identity.v1.Gender.GENDER_FEMALE,
    birthDate: '1990-04-01',
    deceasedAt: undefined,
    addresses: [
      {
        use: identity.v1.AddressUse.ADDRESS_USE_HOME,
        lines: ['1 High St'],
        city: 'Leeds',
        district: '',
        postcode: 'LS1 4AP',
        period: undefined,
      },
    ],
    telecom: [],
    gp: { odsCode: 'A81001', region: 'north-east', period: { start: '2020-01-01', end: '' } },
    gpHistory: [],
    confidentiality: identity.v1.Confidentiality.CONFIDENTIALITY_NORMAL,
    version: 3,
    lastUpdated: { seconds: 1_700_000_000, nanos: 0 },
    withheld: false,
    withheldFields: [],
    supersededNhsNumbers: ['9990000018'],
    mergedIntoNhsNumber: '',
    ...over,
  };
}

describe('Patient mapping', () => {
  it('maps a record to a valid FHIR R4 Patient with version, identifier and replaces link', () => {
    const p = patientToFhir(record());
    expect(structuralIssues(p)).toEqual([]);
    expect(p.id).toBe('9434765919');
    expect(p.meta?.versionId).toBe('3');
    expect(p.identifier).toEqual([{ system: NHS_NUMBER_SYSTEM, value: '9434765919' }]);
    expect(p.link).toEqual([{ other: { reference: 'Patient/9990000018' }, type: 'replaces' }]);
  });

  it('round-trips demographics into registration details', () => {
    const d = patientDetailsFromFhir(patientToFhir(record()));
    expect(d).toMatchObject({
      gender: identity.v1.Gender.GENDER_FEMALE,
      birthDate: '1990-04-01',
      gpOdsCode: 'A81001',
      names: [{ family: 'Smith', given: ['Jo'] }],
      addresses: [{ postcode: 'LS1 4AP', lines: ['1 High St'] }],
    });
  });

  it('changes the GP only when the practice differs', () => {
    const current = record();
    const same = patientChangesFromFhir(patientToFhir(current), current);
    expect(same.gp).toBeUndefined();
    const moved = patientToFhir(current);
    moved.generalPractitioner = [
      { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A82001' } },
    ];
    expect(patientChangesFromFhir(moved, current).gp).toEqual({ odsCode: 'A82001', start: '' });
  });
});
