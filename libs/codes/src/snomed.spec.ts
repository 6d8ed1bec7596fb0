import { sctidProblem, verhoeffValid } from './snomed';

describe('SNOMED CT identifiers', () => {
  it.each(['22298006', '195967001', '254837009', '260385009', '363346000', '168731009'])(
    'accepts the concept id %s',
    (code) => {
      expect(sctidProblem(code)).toBeUndefined();
    },
  );

  it('refuses a wrong check digit, a non-concept partition and a malformed id', () => {
    expect(sctidProblem('22298007')).toBe('check-digit');
    expect(sctidProblem('260385008')).toBe('check-digit');
    expect(sctidProblem('22298016')).toBe('partition');
    expect(sctidProblem('123456021')).toBe('partition');
    expect(sctidProblem('0123456')).toBe('format');
    expect(sctidProblem('58410-2')).toBe('format');
    expect(sctidProblem('1234567890123456789')).toBe('format');
  });

  it('runs the Verhoeff check over any digits', () => {
    expect(verhoeffValid('2363')).toBe(true);
    expect(verhoeffValid('2364')).toBe(false);
  });
});
