import { loincCheckDigit, loincProblem } from './loinc';

describe('LOINC codes', () => {
  it.each(['718-7', '58410-2', '2823-3', '4548-4', '59261-8', '14682-9', '62238-1'])(
    'accepts %s',
    (code) => {
      expect(loincProblem(code)).toBeUndefined();
    },
  );

  it('computes the mod-10 check digit', () => {
    expect(loincCheckDigit('718')).toBe(7);
    expect(loincCheckDigit('58410')).toBe(2);
  });

  it('refuses a wrong check digit or shape', () => {
    expect(loincProblem('718-8')).toBe('check-digit');
    expect(loincProblem('7187')).toBe('format');
    expect(loincProblem('22298006')).toBe('format');
    expect(loincProblem('12345678-9')).toBe('format');
  });
});
