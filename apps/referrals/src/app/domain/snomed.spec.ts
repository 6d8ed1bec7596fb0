import { sctidProblem } from './snomed';

describe('SNOMED CT concept ids', () => {
  it.each(['22298006', '195967001', '254837009', '29857009', '38341003', '73211009'])(
    'accepts %s',
    (code) => {
      expect(sctidProblem(code)).toBeUndefined();
    },
  );
  it('refuses a wrong check digit, a description partition and non-digits', () => {
    expect(sctidProblem('22298007')).toBe('check-digit');
    expect(sctidProblem('22298016')).toBe('partition');
    expect(sctidProblem('chest-pain')).toBe('format');
    expect(sctidProblem('0123456')).toBe('format');
  });
});
