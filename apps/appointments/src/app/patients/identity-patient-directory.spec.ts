import { interpret } from './identity-patient-directory';

const base = {
  names: [],
  gender: 0,
  birthDate: '1970-01-01',
  addresses: [],
  telecom: [],
  gp: undefined,
  gpHistory: [],
  confidentiality: 0,
  version: 1,
  lastUpdated: undefined,
  withheld: false,
  withheldFields: [],
  supersededNhsNumbers: [],
  mergedIntoNhsNumber: '',
  deceasedAt: undefined,
};

describe('interpret(GetPatientResponse)', () => {
  it('is active for a living, current record', () => {
    expect(
      interpret('9990000018', {
        patient: { ...base, nhsNumber: '9990000018' },
        superseded: false,
        requestedNhsNumber: '9990000018',
      }),
    ).toEqual({ kind: 'active', nhsNumber: '9990000018' });
  });
  it('is deceased when the record has a deceased date', () => {
    const r = interpret('9990000018', {
      patient: {
        ...base,
        nhsNumber: '9990000018',
        deceasedAt: { seconds: 1_700_000_000, nanos: 0 },
      },
      superseded: false,
      requestedNhsNumber: '9990000018',
    });
    expect(r).toEqual({
      kind: 'deceased',
      nhsNumber: '9990000018',
      deceasedAt: new Date(1_700_000_000_000),
    });
  });
  it('is merged when identity answers with the survivor', () => {
    const r = interpret('9990000018', {
      patient: { ...base, nhsNumber: '9990000026' },
      superseded: true,
      requestedNhsNumber: '9990000018',
    });
    expect(r).toEqual({ kind: 'merged', nhsNumber: '9990000018', survivorNhsNumber: '9990000026' });
  });
  it('is not found without a patient', () => {
    expect(interpret('9990000018', undefined)).toEqual({
      kind: 'not-found',
      nhsNumber: '9990000018',
    });
  });
});
