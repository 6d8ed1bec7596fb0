import { ODS_CODE as CODES_ODS_CODE } from '@trellis/codes';

import { FieldViolations } from '../violations';
import {
  DEMO_PRACTICES,
  ORGANISATIONS,
  organisationByOdsCode,
  REGIONAL_AUTHORITIES,
  regionalAuthorityOf,
  ODS_CODE,
  REGIONS,
  regionOfOrganisation,
} from './organisations';

const collect = (fn: (v: FieldViolations) => void) => {
  let out: unknown[] = [];
  const v = new FieldViolations((list) => {
    out = list;
    return new Error('invalid');
  });
  fn(v);
  try {
    v.throwIfAny();
  } catch {
    // the violations are what the test reads
  }
  return out;
};

describe('organisation reference data', () => {
  it('holds each ODS code once, well-formed, in one of the platform regions', () => {
    const codes = ORGANISATIONS.map((o) => o.odsCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const o of ORGANISATIONS) {
      expect(o.odsCode).toMatch(/^[A-Z0-9]{3,10}$/);
      expect(REGIONS).toContain(o.region);
    }
  });

  it('checks ODS codes with the one syntax of @trellis/codes (the FHIR rules use it too)', () => {
    expect(ODS_CODE).toBe(CODES_ODS_CODE);
  });

  it('knows the demo systems and derives regions from the table, not from a caller', () => {
    expect(regionOfOrganisation('R1K01')).toBe('london');
    expect(regionOfOrganisation(' y12345 ')).toBe('north-east');
    expect(organisationByOdsCode('A81001')).toMatchObject({ kind: 'gp-practice' });
    expect(regionOfOrganisation('ZZZ99')).toBeUndefined();
    expect(DEMO_PRACTICES.every((p) => p.kind === 'gp-practice')).toBe(true);
  });

  it('refuses malformed and unknown organisations with one field violation each', () => {
    expect(collect((v) => v.organisation('target.ods_code', 'ZZZ99'))).toEqual([
      {
        field: 'target.ods_code',
        rule: 'organisation.unknown',
        message: 'target.ods_code ZZZ99 is not an organisation in the ODS reference data',
      },
    ]);
    expect(collect((v) => v.organisation('ods_code', 'zz'))).toEqual([
      expect.objectContaining({ field: 'ods_code', rule: 'ods-code' }),
    ]);
    expect(collect((v) => v.organisation('ods_code', 'RTH'))).toEqual([]);
  });

  it('refuses a region claim that contradicts the reference data, accepts none or the right one', () => {
    const rth = organisationByOdsCode('RTH');
    expect(collect((v) => v.regionOf('target.region', rth, 'london'))).toEqual([
      expect.objectContaining({ field: 'target.region', rule: 'region.mismatch' }),
    ]);
    expect(collect((v) => v.regionOf('target.region', rth, 'south-east'))).toEqual([]);
    expect(collect((v) => v.regionOf('target.region', rth, ''))).toEqual([]);
  });

  it('has one regional digital authority per region, in that region', () => {
    for (const region of REGIONS) {
      const a = regionalAuthorityOf(region);
      expect(a).toEqual(expect.objectContaining({ region, kind: 'regional-authority' }));
      expect(organisationByOdsCode(a?.odsCode)).toBe(a);
    }
    expect(REGIONAL_AUTHORITIES).toHaveLength(REGIONS.length);
    expect(regionalAuthorityOf('north-east')?.name).toBe('North East regional digital authority');
    expect(regionalAuthorityOf('atlantis')).toBeUndefined();
  });
});
