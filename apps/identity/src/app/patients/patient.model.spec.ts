import { viewFor, type PatientRecord } from './patient.model';
import { changedFields } from './patients.service';

const record: PatientRecord = {
  nhsNumber: '9990000018',
  names: [{ use: 'usual', family: 'Smith', given: ['Ann'], prefix: [] }],
  gender: 'female',
  birthDate: '1970-01-01',
  addresses: [{ use: 'home', lines: ['1 A St'], city: 'Leeds', district: '', postcode: 'LS1 4AP' }],
  telecom: [{ system: 'phone', value: '0113 496 0000', use: 'home' }],
  gp: { odsCode: 'B82001', region: 'yorkshire', period: { start: '2000-01-01' } },
  gpHistory: [],
  confidentiality: 'restricted',
  version: 3,
  lastUpdated: new Date('2026-01-01T00:00:00Z'),
  supersededNhsNumbers: [],
};

describe('restricted view', () => {
  it('withholds address, telecom and GP visibly without the restricted scope', () => {
    const v = viewFor(record, false);
    expect(v).toMatchObject({
      withheld: true,
      addresses: [],
      telecom: [],
      gp: undefined,
      withheldFields: ['addresses', 'telecom', 'gp', 'gp_history'],
    });
    expect(v.names).toEqual(record.names);
  });
  it('shows everything with the scope, and normal records to everyone', () => {
    expect(viewFor(record, true)).toMatchObject({ withheld: false, addresses: record.addresses });
    expect(viewFor({ ...record, confidentiality: 'normal' }, false).withheld).toBe(false);
  });
});

describe('changedFields', () => {
  it('reports only real changes, whatever the key order', () => {
    expect(
      changedFields(record, {
        names: [{ prefix: [], given: ['Ann'], family: 'Smith', use: 'usual' }],
      }),
    ).toEqual([]);
    expect(changedFields(record, { birthDate: '1970-01-02', gp: { odsCode: 'b82001' } })).toEqual([
      'birth_date',
    ]);
    expect(
      changedFields(record, { gp: { odsCode: '' }, confidentiality: 'normal', gender: 'female' }),
    ).toEqual(['gp', 'confidentiality']);
  });
});
