import { isParty, isRegisteredGp } from './visibility';

describe('isParty', () => {
  const a = { odsCode: 'RTH', bookingOdsCode: 'A81001' };
  it('is true for the provider and the booking organisation only', () => {
    expect(isParty(a, 'RTH')).toBe(true);
    expect(isParty(a, 'A81001')).toBe(true);
    expect(isParty(a, 'E81001')).toBe(false);
  });
});

describe('isRegisteredGp', () => {
  const nhsNumber = '9990000018';
  it('is true when the caller is the current registered GP practice', () => {
    expect(isRegisteredGp({ kind: 'active', nhsNumber, gpOdsCode: 'E81001' }, 'E81001')).toBe(true);
    expect(
      isRegisteredGp(
        { kind: 'deceased', nhsNumber, deceasedAt: new Date(0), gpOdsCode: 'E81001' },
        'E81001',
      ),
    ).toBe(true);
  });
  it('is false for another practice', () => {
    expect(isRegisteredGp({ kind: 'active', nhsNumber, gpOdsCode: 'E81001' }, 'A81001')).toBe(
      false,
    );
  });
  it('is false when the GP registration is absent or withheld', () => {
    expect(isRegisteredGp({ kind: 'active', nhsNumber }, 'E81001')).toBe(false);
    expect(isRegisteredGp({ kind: 'active', nhsNumber, gpOdsCode: '' }, '')).toBe(false);
  });
  it('is false for merged and unknown numbers', () => {
    expect(
      isRegisteredGp({ kind: 'merged', nhsNumber, survivorNhsNumber: '9990000026' }, 'E81001'),
    ).toBe(false);
    expect(isRegisteredGp({ kind: 'not-found', nhsNumber }, 'E81001')).toBe(false);
  });
});
