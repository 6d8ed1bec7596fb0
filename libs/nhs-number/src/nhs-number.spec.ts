import {
  checkDigit,
  completeNhsNumber,
  formatNhsNumber,
  isTestRangeNhsNumber,
  isValidNhsNumber,
  normaliseNhsNumber,
  validateNhsNumber,
} from './nhs-number';

describe('checkDigit', () => {
  it.each([
    ['943476591', 9],
    ['401023213', 7],
    ['999000001', 8],
  ])('computes the modulus-11 check digit of %s', (base, expected) => {
    expect(checkDigit(base)).toBe(expected);
  });

  it.each(['999000000', '123456789'])('reports base %s as unusable (check value 10)', (base) => {
    // 999000000: 9*10 + 9*9 + 9*8 = 243, 243 % 11 = 1, 11 - 1 = 10
    expect(checkDigit(base)).toBeUndefined();
  });

  it('maps a check value of 11 to 0', () => {
    const base = Array.from({ length: 1000 }, (_, i) => String(999000000 + i)).find((b) => {
      const digits = [...b].map(Number);
      const sum = digits.reduce((acc, d, i) => acc + d * (10 - i), 0);
      return sum % 11 === 0;
    })!;
    expect(checkDigit(base)).toBe(0);
  });

  it('refuses a base that is not nine digits', () => {
    expect(() => checkDigit('12345678')).toThrow(RangeError);
    expect(() => checkDigit('12345678a')).toThrow(RangeError);
  });
});

describe('validateNhsNumber', () => {
  it.each(['9434765919', '943 476 5919', '943-476-5919', '4010232137', '9990000018'])(
    'accepts %s',
    (n) => {
      const result = validateNhsNumber(n);
      expect(result).toEqual({ valid: true, normalised: normaliseNhsNumber(n) });
    },
  );

  it.each([
    ['9434765918', 'check-digit-mismatch'],
    ['9434765910', 'check-digit-mismatch'],
    ['4010232138', 'check-digit-mismatch'],
    ['1234567890', 'check-digit-10'],
    ['1234567891', 'check-digit-10'],
    ['9990000000', 'check-digit-10'],
    ['999000000', 'not-ten-digits'],
    ['99900000001', 'not-ten-digits'],
    ['99900000a1', 'non-digit'],
    ['', 'empty'],
    ['   ', 'empty'],
  ])('rejects %s as %s', (n, problem) => {
    const result = validateNhsNumber(n);
    expect(result.valid).toBe(false);
    expect(result.problem).toBe(problem);
    expect(result.message).toEqual(expect.any(String));
  });

  it('rejects null and undefined', () => {
    expect(isValidNhsNumber(null)).toBe(false);
    expect(isValidNhsNumber(undefined)).toBe(false);
  });

  it('rejects every wrong last digit of a valid number', () => {
    for (let d = 0; d <= 9; d++) {
      expect(isValidNhsNumber(`943476591${d}`)).toBe(d === 9);
    }
  });
});

describe('format and helpers', () => {
  it('formats 3-3-4', () => {
    expect(formatNhsNumber('9434765919')).toBe('943 476 5919');
    expect(() => formatNhsNumber('94347659')).toThrow(RangeError);
  });

  it('completes a base or reports it unusable', () => {
    expect(completeNhsNumber('943476591')).toBe('9434765919');
    expect(completeNhsNumber('999000000')).toBeUndefined();
  });

  it('knows the 999 test range', () => {
    expect(isTestRangeNhsNumber('999 000 0018')).toBe(true);
    expect(isTestRangeNhsNumber('9434765919')).toBe(false);
  });

  it('about 1 in 11 bases is unusable over a large sample', () => {
    let unusable = 0;
    for (let b = 999000000; b < 999011000; b++) if (checkDigit(String(b)) === undefined) unusable++;
    expect(unusable).toBeGreaterThan(900);
    expect(unusable).toBeLessThan(1100);
  });
});
