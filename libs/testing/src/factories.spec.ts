import { isValidNhsNumber } from '@trellis/nhs-number';
import { fakeNhsNumber, fakeNhsNumbers } from './factories';

/** Independent modulus-11 check (NHS Data Dictionary), not the library under test. */
function mod11Valid(n: string): boolean {
  if (!/^\d{10}$/.test(n)) return false;
  const sum = [...n.slice(0, 9)].reduce((acc, d, i) => acc + Number(d) * (10 - i), 0);
  const check = (11 - (sum % 11)) % 11;
  return check !== 10 && check === Number(n[9]);
}

describe('fakeNhsNumber', () => {
  it('returns valid 999-range numbers', () => {
    for (const n of fakeNhsNumbers(500)) {
      expect(n).toMatch(/^999\d{7}$/);
      expect(mod11Valid(n)).toBe(true);
      expect(isValidNhsNumber(n)).toBe(true);
    }
  });

  it('skips bases whose check digit would be 10', () => {
    // 999000000 and 999000014 give check digit 10 (no valid number); 999000002 is usable.
    const bases = [0, 14, 2];
    const n = fakeNhsNumber(() => bases.shift() ?? 3);
    expect(n).toBe('9990000026');
    expect(mod11Valid(n)).toBe(true);
  });
});
