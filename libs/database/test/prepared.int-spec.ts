// A marked raw SQL text runs as a named (server-side prepared) statement through the Prisma pg
// adapter, so PostgreSQL plans it once per connection; unmarked text stays unnamed.
import { createPrismaAdapter, PREPARED_MARKER } from '../src';

function url(): string {
  const u = process.env['DATABASE_URL'];
  if (!u) throw new Error('DATABASE_URL is not set (.trellis/infra.env)');
  return u;
}

describe('prepared statements through the Prisma pg adapter', () => {
  it('prepares a marked text once per connection and leaves unmarked text unnamed', async () => {
    const adapter = await createPrismaAdapter({
      url: url(),
      schema: 'public',
      poolSize: 1,
    }).connect();
    try {
      const marked = `${PREPARED_MARKER}spec_prepared */ SELECT $1::int + 1 AS n`;
      for (const v of [1, 2, 3]) {
        const r = await adapter.queryRaw({
          sql: marked,
          args: [v],
          argTypes: [{ scalarType: 'int', arity: 'scalar' }],
        });
        expect(r.rows[0]?.[0]).toBe(v + 1);
      }
      await adapter.queryRaw({ sql: 'SELECT 41 + 1 AS unmarked', args: [], argTypes: [] });
      const prepared = await adapter.queryRaw({
        sql: 'SELECT name, statement FROM pg_prepared_statements ORDER BY name',
        args: [],
        argTypes: [],
      });
      const rows = prepared.rows as Array<[string, string]>;
      expect(rows.filter(([, s]) => s === marked).map(([n]) => n)).toEqual([
        expect.stringMatching(/^spec_prepared_\d+$/),
      ]);
      expect(rows.some(([, s]) => s.includes('unmarked'))).toBe(false);
    } finally {
      await adapter.dispose();
    }
  });
});
