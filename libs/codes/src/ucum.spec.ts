import { isValidUcumUnit, ucumUtils } from './ucum';

describe('UCUM units', () => {
  it.each(['g/L', 'mmol/L', '10*9/L', 'mL/min/{1.73_m2}', '%', '1'])('accepts %s', (unit) => {
    expect(isValidUcumUnit(unit)).toBe(true);
  });

  it.each(['grams per litre', 'mmol/LL', ''])('refuses %j', (unit) => {
    expect(isValidUcumUnit(unit)).toBe(false);
  });

  it('loads the library once and converts between commensurable units', () => {
    expect(ucumUtils()).toBe(ucumUtils());
    expect(ucumUtils().convertUnitTo('g/dL', 13.5, 'g/L').toVal).toBeCloseTo(135);
  });
});
