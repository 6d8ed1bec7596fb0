import { traceSql, traceTerms, WEIGHTS } from './trace.sql';

const base = { mode: 'fuzzy' as const, maxResults: 10, minScore: 0.8 };
const text = (sql: { strings: readonly string[] } | undefined) => sql!.strings.join('?');

describe('trace terms', () => {
  it('normalises the query and adds the day/month swap in fuzzy mode only', () => {
    const t = traceTerms({
      ...base,
      family: "O'Brien-Smith",
      given: 'Bob James',
      birthDate: '1980-03-07',
      postcode: 'ls1 4ap',
    });
    expect(t).toMatchObject({
      fam: 'OBRIENSMITH',
      famParts: ['OBRIEN', 'SMITH'],
      giv: 'BOB',
      givCanon: 'ROBERT',
      dates: ['1980-03-07', '1980-07-03'],
      pc: 'LS14AP',
      pcFull: true,
      pcOut: 'LS1',
    });
    expect(
      traceTerms({ ...base, mode: 'exact', family: 'X', birthDate: '1980-03-07' }).dates,
    ).toEqual(['1980-03-07']);
  });

  it('excludes restricted patients from postcode-only and GP-only traces', () => {
    expect(traceTerms({ ...base, postcode: 'LS1' }).excludeRestricted).toBe(true);
    expect(traceTerms({ ...base, gpOdsCode: 'B82001' }).excludeRestricted).toBe(true);
    expect(traceTerms({ ...base, postcode: 'LS1', family: 'Smith' }).excludeRestricted).toBe(false);
    expect(text(traceSql(traceTerms({ ...base, postcode: 'LS1' }), 0.8, 10))).toContain(
      "p.confidentiality <> 'restricted'",
    );
    expect(
      text(traceSql(traceTerms({ ...base, family: 'Smith', birthDate: '1980-01-01' }), 0.8, 10)),
    ).not.toContain('restricted');
  });
});

describe('trace SQL', () => {
  it('drives candidates from indexes: birth date (+swap), phonetic name, trigram when no date', () => {
    const withDate = text(
      traceSql(
        traceTerms({ ...base, family: 'Smith', given: 'John', birthDate: '1980-03-07' }),
        0.8,
        10,
      ),
    );
    expect(withDate).toContain('birth_date = ANY(');
    expect(withDate).toContain('dmetaphone(family_norm) = dmetaphone(');
    expect(withDate).not.toContain('family_norm % ');
    const noDate = text(
      traceSql(traceTerms({ ...base, family: 'Smith', postcode: 'LS1 4AP' }), 0.8, 10),
    );
    expect(noDate).toContain('family_norm % ');
  });

  it('uses equality only in exact mode', () => {
    const exact = text(
      traceSql(
        traceTerms({ ...base, mode: 'exact', family: 'Smith', birthDate: '1980-03-07' }),
        0.8,
        10,
      ),
    );
    expect(exact).toContain('family_norm = ');
    expect(exact).not.toContain('similarity(');
  });

  it('returns nothing to run without criteria', () => {
    expect(traceSql(traceTerms(base), 0.8, 10)).toBeUndefined();
  });

  it('weights sum to a sensible scale', () => {
    expect(WEIGHTS.family + WEIGHTS.given + WEIGHTS.birthDate).toBeCloseTo(0.8);
  });
});
