import {
  canonicalGiven,
  familyNameParts,
  formatPostcode,
  isIsoDate,
  normaliseGiven,
  normaliseName,
  normalisePostcode,
  registrationLockKeys,
  swappedDayMonth,
} from './normalise';

describe('normalise', () => {
  it.each([
    ["O'Brien-Smith", 'OBRIENSMITH'],
    ['  zoë  ', 'ZOE'],
    ['van der Berg', 'VANDERBERG'],
    ['', ''],
  ])('normaliseName(%j) = %j', (input, out) => expect(normaliseName(input)).toBe(out));

  it('splits double-barrelled names', () => {
    expect(familyNameParts('Smith-Jones')).toEqual(['SMITH', 'JONES']);
    expect(familyNameParts("O'Brien")).toEqual(['OBRIEN']);
    expect(familyNameParts('van der Berg')).toEqual(['VAN', 'DER', 'BERG']);
  });

  it('folds nicknames and spelling variants to a canonical given name', () => {
    expect(canonicalGiven(['Bob'])).toBe('ROBERT');
    expect(canonicalGiven('Peggy')).toBe('MARGARET');
    expect(canonicalGiven(['Catherine'])).toBe('KATHERINE');
    expect(canonicalGiven(['Zebedee'])).toBe('ZEBEDEE');
    expect(canonicalGiven(['Bob James'])).toBe('ROBERT');
    expect(normaliseGiven(['Thi Lan', 'Anh'])).toBe('THI');
  });

  it('parses full and outward postcodes', () => {
    expect(normalisePostcode('ls1 4ap')).toEqual({ norm: 'LS14AP', outward: 'LS1', full: true });
    expect(normalisePostcode('SW1A 1AA')).toEqual({ norm: 'SW1A1AA', outward: 'SW1A', full: true });
    expect(normalisePostcode('LS1')).toEqual({ norm: 'LS1', outward: 'LS1', full: false });
    expect(normalisePostcode('not a postcode').outward).toBe('');
    expect(formatPostcode('ec1a1bb')).toBe('EC1A 1BB');
  });

  it('swaps day and month only when that is another real date', () => {
    expect(swappedDayMonth('1980-03-07')).toBe('1980-07-03');
    expect(swappedDayMonth('1980-03-13')).toBeUndefined();
    expect(swappedDayMonth('1980-05-05')).toBeUndefined();
    expect(isIsoDate('2023-02-29')).toBe(false);
    expect(isIsoDate('2024-02-29')).toBe(true);
  });

  it('locks a birth date and its swap in a fixed order (no deadlock between the two)', () => {
    expect(registrationLockKeys('1980-07-03')).toEqual([
      'identity:register:1980-03-07',
      'identity:register:1980-07-03',
    ]);
    expect(registrationLockKeys('1980-03-07')).toEqual(registrationLockKeys('1980-07-03'));
    expect(registrationLockKeys('1980-03-25')).toEqual(['identity:register:1980-03-25']);
  });
});
