import {
  assertSchemaName,
  databaseOf,
  quoteIdent,
  searchPath,
  stripPrismaParams,
  toPoolConfig,
} from './connection';

describe('schema names', () => {
  it.each(['identity', 'identity_t3f9a2c1b', '_x', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(assertSchemaName(name)).toBe(name);
  });
  it.each(['Identity', '1abc', 'a-b', 'a"b', '', 'a'.repeat(64), 'pg_temp', 'id; drop'])(
    'rejects %j',
    (name) => {
      expect(() => assertSchemaName(name)).toThrow(/Invalid PostgreSQL schema name/);
    },
  );
  it('quotes identifiers and doubles quotes', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(searchPath('identity')).toBe('"identity", public');
  });
});

describe('toPoolConfig', () => {
  const url =
    'postgresql://trellis:p%40ss@127.0.0.1:5433/trellis?schema=ignored&application_name=x';

  it('uses discrete fields with the search_path startup option', () => {
    const config = toPoolConfig({ url, schema: 'identity' });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 5433,
      user: 'trellis',
      password: 'p@ss',
      database: 'trellis',
      options: '-c search_path="identity",public',
    });
    expect(config.connectionString).toBeUndefined();
  });

  it('lets a shadow database override the URL database', () => {
    expect(toPoolConfig({ url, schema: 'identity', database: 'shadow_1' }).database).toBe(
      'shadow_1',
    );
  });

  it('rejects an invalid schema before building SQL', () => {
    expect(() => toPoolConfig({ url, schema: 'x"; drop' })).toThrow();
  });

  it('strips only Prisma-specific URL parameters', () => {
    expect(stripPrismaParams(url)).toBe(
      'postgresql://trellis:p%40ss@127.0.0.1:5433/trellis?application_name=x',
    );
    expect(stripPrismaParams('postgresql://h/db?schema=a')).toBe('postgresql://h/db');
    expect(databaseOf(url)).toBe('trellis');
  });
});
