import { checkLoinc, checkSnomed, loincCheckDigit } from './codes';

describe('code-system checks', () => {
  it('accepts real LOINC codes and refuses a wrong check digit or shape', () => {
    for (const c of ['718-7', '58410-2', '2823-3', '4548-4', '59261-8', '14682-9', '62238-1'])
      expect([c, checkLoinc(c)]).toEqual([c, undefined]);
    expect(loincCheckDigit('718')).toBe(7);
    expect(checkLoinc('718-8')).toBe('check-digit');
    expect(checkLoinc('7187')).toBe('format');
    expect(checkLoinc('22298006')).toBe('format');
  });

  it('accepts SNOMED CT concept ids (Verhoeff) and refuses others', () => {
    for (const c of ['22298006', '260385009', '363346000', '168731009'])
      expect([c, checkSnomed(c)]).toEqual([c, undefined]);
    expect(checkSnomed('260385008')).toBe('check-digit');
    expect(checkSnomed('58410-2')).toBe('format');
    expect(checkSnomed('123456021')).toBe('partition'); // a relationship-style partition
  });
});
