import { identity } from '@trellis/contracts';

import { NHS_NUMBER_SYSTEM } from '../systems';
import { structuralIssues } from '../validator';
import {
  patientChangesFromFhir,
  patientDeathIssues,
  patientDetailsFromFhir,
  patientFieldPath,
  patientToFhir,
} from './patient';

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

  it('keeps the withheld address and telecom of a restricted record sent back without them', () => {
    const withheldView = record({
      confidentiality: identity.v1.Confidentiality.CONFIDENTIALITY_RESTRICTED,
      addresses: [],
      telecom: [],
      gp: undefined,
      withheld: true,
      withheldFields: ['addresses', 'telecom', 'gp', 'gp_history'],
    });
    const roundTrip = patientChangesFromFhir(patientToFhir(withheldView), withheldView);
    expect(roundTrip).toMatchObject({
      addresses: undefined,
      telecom: undefined,
      gp: undefined,
      confidentiality: identity.v1.Confidentiality.CONFIDENTIALITY_RESTRICTED,
    });
    const withAddress = { ...patientToFhir(withheldView), address: [{ postalCode: 'LS1 4AP' }] };
    expect(patientChangesFromFhir(withAddress, withheldView).addresses?.addresses).toHaveLength(1);
    // an unrestricted record's lists are replaced whole, emptied included
    const open = record();
    expect(patientChangesFromFhir({ ...patientToFhir(open), address: [] }, open).addresses).toEqual(
      { addresses: [] },
    );
  });

  describe('a death on update (deceasedDateTime)', () => {
    const now = new Date('2026-11-24T09:00:00Z');
    const died = { seconds: Date.parse('2026-11-20T14:05:00Z') / 1000, nanos: 0 };
    const rules = (issues: ReturnType<typeof patientDeathIssues>) =>
      issues.map((i) => [i.rule, i.expression, i.code]);

    it('maps a new death into the changes and the recorded one never again', () => {
      const living = record();
      const body = { ...patientToFhir(living), deceasedDateTime: '2026-11-20T14:05:00Z' };
      expect(patientDeathIssues(body, living, now)).toEqual([]);
      expect(patientChangesFromFhir(body, living).deceasedAt).toEqual(died);
      expect(
        patientChangesFromFhir({ ...body, deceasedDateTime: '2026-11-20' }, living),
      ).toMatchObject({ deceasedAt: { seconds: Date.parse('2026-11-20T00:00:00Z') / 1000 } });
      const dead = record({ deceasedAt: died });
      const again = patientToFhir(dead);
      expect(again.deceasedDateTime).toBe('2026-11-20T14:05:00.000Z');
      expect(patientDeathIssues(again, dead, now)).toEqual([]);
      expect(patientChangesFromFhir(again, dead).deceasedAt).toBeUndefined();
      expect(patientChangesFromFhir(patientToFhir(living), living).deceasedAt).toBeUndefined();
    });

    it('refuses the future, before birth, no date, a partial date, and removing or changing a death', () => {
      const living = record();
      const fhir = patientToFhir(living);
      const at = (deceasedDateTime: string) => ({ ...fhir, deceasedDateTime });
      const X = 'Patient.deceasedDateTime';
      expect(rules(patientDeathIssues(at('2026-11-24T09:02:00Z'), living, now))).toEqual([
        ['patient.deceased.future', X, 'business-rule'],
      ]);
      // within a minute of the clock is not the future (identity tolerates the same skew)
      expect(patientDeathIssues(at('2026-11-24T09:00:30Z'), living, now)).toEqual([]);
      expect(rules(patientDeathIssues(at('1990-03-31'), living, now))).toEqual([
        ['patient.deceased.before-birth', X, 'business-rule'],
      ]);
      expect(
        rules(patientDeathIssues({ ...at('1995-01-01'), birthDate: '1996-01-01' }, living, now)),
      ).toEqual([['patient.deceased.before-birth', X, 'business-rule']]);
      expect(rules(patientDeathIssues({ ...fhir, deceasedBoolean: true }, living, now))).toEqual([
        ['patient.deceased.date-required', X, 'required'],
      ]);
      expect(rules(patientDeathIssues(at('2026-11'), living, now))).toEqual([
        ['patient.deceased.precision', X, 'value'],
      ]);
      expect(patientDeathIssues({ ...fhir, deceasedBoolean: false }, living, now)).toEqual([]);

      const dead = record({ deceasedAt: died });
      const { deceasedDateTime: _d, ...removed } = patientToFhir(dead);
      void _d;
      for (const body of [removed, { ...removed, deceasedBoolean: false }, at('2026-11-19')]) {
        const issues = patientDeathIssues(body, dead, now);
        expect(rules(issues)).toEqual([['patient.deceased.correction', X, 'business-rule']]);
        expect(issues[0]!.message).toMatch(/corrections of a death are a separate process/);
      }
    });

    it("maps identity's deceased_at violations to Patient.deceasedDateTime", () => {
      expect(patientFieldPath('changes.deceased_at')).toBe('Patient.deceasedDateTime');
      expect(patientFieldPath('deceasedAt')).toBe('Patient.deceasedDateTime');
    });
  });
});
