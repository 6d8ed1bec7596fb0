import { enumCodes, enumValues } from './enum-codes';
import { identity, results } from './index';

describe('enumCodes', () => {
  it("spells each value's name after the prefix as its code, lower-case with hyphens", () => {
    expect(enumCodes(results.v1.Interpretation, 'INTERPRETATION_')).toEqual({
      [results.v1.Interpretation.INTERPRETATION_NORMAL]: 'normal',
      [results.v1.Interpretation.INTERPRETATION_LOW]: 'low',
      [results.v1.Interpretation.INTERPRETATION_HIGH]: 'high',
      [results.v1.Interpretation.INTERPRETATION_CRITICAL_LOW]: 'critical-low',
      [results.v1.Interpretation.INTERPRETATION_CRITICAL_HIGH]: 'critical-high',
      [results.v1.Interpretation.INTERPRETATION_ABNORMAL]: 'abnormal',
    });
  });

  it('gives UNSPECIFIED and UNRECOGNIZED no code', () => {
    const codes = enumCodes(identity.v1.Gender, 'GENDER_');
    expect(codes[identity.v1.Gender.GENDER_UNSPECIFIED]).toBeUndefined();
    expect(codes[identity.v1.Gender.UNRECOGNIZED]).toBeUndefined();
    expect(Object.values(codes)).toEqual(['male', 'female', 'other', 'unknown']);
  });
});

describe('enumValues', () => {
  it('maps each code back to its value', () => {
    expect(enumValues(identity.v1.TelecomUse, 'TELECOM_USE_')).toEqual({
      home: identity.v1.TelecomUse.TELECOM_USE_HOME,
      work: identity.v1.TelecomUse.TELECOM_USE_WORK,
      mobile: identity.v1.TelecomUse.TELECOM_USE_MOBILE,
      temp: identity.v1.TelecomUse.TELECOM_USE_TEMP,
      old: identity.v1.TelecomUse.TELECOM_USE_OLD,
    });
  });
});
