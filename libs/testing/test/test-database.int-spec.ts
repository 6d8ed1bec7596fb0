import { Client } from 'pg';

import { createTestDatabase, createTestSchema } from '../src';

/** Uses the tools/prisma fixture project (patients/notes) as the "app". */
const APP = 'tools/prisma/test/fixture';

/** Stands in for an app's generated PrismaClient (createPrismaClient passes it an adapter). */
class FakePrisma {
  disconnected = false;
  constructor(readonly options: { adapter: unknown }) {}
  async $disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

describe('createTestDatabase', () => {
  it('gives a migrated schema with a pg client on it, and drop() removes everything', async () => {
    const db = await createTestDatabase(APP, FakePrisma, { poolSize: 2 });
    expect(db.schema).toMatch(/^fixture_t[0-9a-f]{10}$/);
    expect(db.prisma.options.adapter).toBeDefined();
    // the pg client's search_path is the fresh schema: unqualified names are its tables
    const { rows } = await db.sql.query<{ n: string }>('SELECT count(*)::text AS n FROM patients');
    expect(rows).toEqual([{ n: '0' }]);
    const probe = db.sql;
    await db.drop();
    expect(db.prisma.disconnected).toBe(true);
    await expect(probe.query('SELECT 1')).rejects.toThrow();
    const other = await createTestSchema(APP);
    try {
      const check = new Client({ connectionString: other.url });
      await check.connect();
      const left = await check.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [db.schema]);
      await check.end();
      expect(left.rowCount).toBe(0);
    } finally {
      await other.drop();
    }
  });
});
