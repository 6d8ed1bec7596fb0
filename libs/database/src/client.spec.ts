import { PREPARED_MARKER, preparedStatementName } from './client';

describe('preparedStatementName', () => {
  it('leaves unmarked SQL unnamed (run as an unnamed statement)', () => {
    expect(preparedStatementName('SELECT 1')).toBeUndefined();
    expect(preparedStatementName(' /* prepared:x */ SELECT 1')).toBeUndefined();
  });

  it('names a marked text, the same name every time for the same text', () => {
    const sql = `${PREPARED_MARKER}spec_same */ SELECT $1::int AS n`;
    const name = preparedStatementName(sql);
    expect(name).toMatch(/^spec_same_\d+$/);
    expect(preparedStatementName(`${sql}`)).toBe(name);
  });

  it('gives two different texts under one marker two names', () => {
    const a = preparedStatementName(`${PREPARED_MARKER}spec_two */ SELECT 1`);
    const b = preparedStatementName(`${PREPARED_MARKER}spec_two */ SELECT 2`);
    expect(a).toMatch(/^spec_two_\d+$/);
    expect(b).toMatch(/^spec_two_\d+$/);
    expect(a).not.toBe(b);
  });

  it('finds a text rebuilt piece by piece (not the same string object) under its name', () => {
    const parts = [PREPARED_MARKER, 'spec_rebuilt */ SELECT ', '$1::int', ' AS n'];
    const first = preparedStatementName(parts.join(''));
    let rebuilt = '';
    for (const p of parts) rebuilt += p;
    expect(preparedStatementName(rebuilt)).toBe(first);
    expect(preparedStatementName(`${rebuilt} `)).not.toBe(first);
  });

  it('refuses a marker that is not a plain lower-case label', () => {
    expect(() => preparedStatementName(`${PREPARED_MARKER}Bad-Name */ SELECT 1`)).toThrow(
      /invalid prepared statement marker/,
    );
  });
});
