import { NHS_NUMBER_SYSTEM } from '@trellis/fhir';

import { patientIdentifierSubject } from './audit-subjects';

const searchset = (...ids: string[]) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: [
    ...ids.map((id) => ({ resource: { resourceType: 'Patient', id }, search: { mode: 'match' } })),
    { resource: { resourceType: 'OperationOutcome' }, search: { mode: 'outcome' } },
  ],
});

describe('patientIdentifierSubject (Patient search audit)', () => {
  it('an identifier lookup names its patient, whatever it found', () => {
    const req = { query: { identifier: `${NHS_NUMBER_SYSTEM}|9990000018` } };
    expect(patientIdentifierSubject(req, searchset())).toEqual({ nhsNumber: '9990000018' });
    expect(patientIdentifierSubject({ query: { identifier: '9990000018' } })).toEqual({
      nhsNumber: '9990000018',
    });
  });

  it('a demographic trace names the patients it returned, in answer order', () => {
    const req = { query: { family: 'Smith', birthdate: '1975-06-07' } };
    expect(patientIdentifierSubject(req, searchset('9990000026', '9990000018'))).toEqual({
      nhsNumber: '9990000026',
      morePatients: ['9990000018'],
    });
    expect(patientIdentifierSubject(req, searchset('9990000026'))).toEqual({
      nhsNumber: '9990000026',
    });
    expect(patientIdentifierSubject(req, searchset())).toEqual({});
    expect(patientIdentifierSubject(req, undefined)).toEqual({});
  });
});
