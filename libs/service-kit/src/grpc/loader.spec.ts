import { referrals } from '@trellis/contracts';

import { loadProtoPackageDefinition, nullsToUndefined, tsProtoFieldName } from './loader';

describe('nullsToUndefined', () => {
  it('replaces nulls deeply, leaves bytes and values alone', () => {
    const blob = Buffer.from([1, 2]);
    const input = { a: null, b: { c: null, d: [{ e: null, f: 1 }] }, blob, s: '' };
    expect(nullsToUndefined(input)).toEqual({
      a: undefined,
      b: { c: undefined, d: [{ e: undefined, f: 1 }] },
      blob,
      s: '',
    });
    expect(input.blob).toBe(blob);
    expect(Object.prototype.hasOwnProperty.call(input, 'a')).toBe(true);
  });
});

describe('loadProtoPackageDefinition field names', () => {
  type Method = { responseSerialize: (value: unknown) => Buffer };

  it('names fields as ts-proto does, so a digit after "_" survives the wire (breached_18_weeks)', () => {
    const def = loadProtoPackageDefinition(['trellis/referrals/v1/referrals.proto']);
    const service = def['trellis.referrals.v1.ReferralService'] as unknown as Record<
      string,
      Method
    >;
    const written: referrals.v1.GetProviderWaitingListResponse = {
      waitingList: {
        odsCode: 'RTH',
        region: 'south-east',
        specialtyCode: '',
        total: 7,
        bands: [],
        breached18Weeks: 3,
        breachedTwoWeekWait: 2,
      },
      asOf: undefined,
      bySpecialty: [],
    };
    const wire = service['GetProviderWaitingList']!.responseSerialize(written);
    const read = referrals.v1.GetProviderWaitingListResponse.decode(wire);
    expect(read.waitingList).toMatchObject({
      total: 7,
      breached18Weeks: 3,
      breachedTwoWeekWait: 2,
    });
  });

  it('converts like ts-proto', () => {
    expect(tsProtoFieldName('breached_18_weeks')).toBe('breached18Weeks');
    expect(tsProtoFieldName('nhs_number')).toBe('nhsNumber');
    expect(tsProtoFieldName('ods_code')).toBe('odsCode');
  });
});
