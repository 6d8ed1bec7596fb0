import { Client } from 'pg';
import { toPoolConfig } from '@trellis/database';
import { createTestSchema, sweepStaleTestSchemas, type TestSchema } from '../src';

/** Uses the tools/prisma fixture project (patients/notes) as the "app". */
const APP = 'tools/prisma/test/fixture';

async function query<T>(schema: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client(toPoolConfig({ url: process.env.DATABASE_URL ?? '', schema }));
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('createTestSchema', () => {
  const created: TestSchema[] = [];
  afterAll(async () => {
    await Promise.all(created.map((s) => s.drop()));
  });

  it('gives each caller its own migrated schema whose rows the others never see', async () => {
    const started = Date.now();
    const [a, b] = await Promise.all([createTestSchema({ app: APP }), createTestSchema(APP)]);
    const ms = Date.now() - started;
    created.push(a, b);
    expect(a.schema).toMatch(/^fixture_t[0-9a-f]{10}$/);
    expect(b.schema).not.toBe(a.schema);
    expect(a.migrations).toHaveLength(2);
    expect(b.migrations).toEqual(a.migrations);

    // Unqualified SQL through each schema's search_path.
    await query(
      a.schema,
      `INSERT INTO patients (id, nhs_number, family_name, given_name) VALUES (gen_random_uuid(), '9990000026', 'A', 'A')`,
    );
    expect(await query(a.schema, 'SELECT nhs_number FROM patients')).toEqual([
      { nhs_number: '9990000026' },
    ]);
    expect(await query(b.schema, 'SELECT nhs_number FROM patients')).toEqual([]);
    // Same unique key in the other schema is fine: separate tables.
    await query(
      b.schema,
      `INSERT INTO patients (id, nhs_number, family_name, given_name) VALUES (gen_random_uuid(), '9990000026', 'B', 'B')`,
    );
    expect(await query(b.schema, 'SELECT family_name FROM patients')).toEqual([
      { family_name: 'B' },
    ]);
    expect(ms).toBeLessThan(10_000);
  });

  it('drop() removes the schema and is idempotent', async () => {
    const s = await createTestSchema({ app: APP });
    await s.drop();
    await s.drop();
    expect(
      await query('public', 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [s.schema]),
    ).toEqual([]);
  });

  it('explains a missing migrations directory', async () => {
    await expect(createTestSchema({ app: 'no-such-app' })).rejects.toThrow(
      /No migrations at .*apps\/no-such-app\/prisma\/migrations/,
    );
  });

  it('sweeps only stale test schemas', async () => {
    const fresh = await createTestSchema({ app: APP });
    const stale = await createTestSchema({ app: APP });
    created.push(fresh, stale);
    await query(
      stale.schema,
      `UPDATE _prisma_migrations SET started_at = now() - interval '3 hours'`,
    );
    const dropped = await sweepStaleTestSchemas({ olderThanMinutes: 120 });
    expect(dropped).toContain(stale.schema);
    expect(dropped).not.toContain(fresh.schema);
    const left = await query<{ nspname: string }>(
      'public',
      'SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)',
      [[fresh.schema, stale.schema]],
    );
    expect(left.map((r) => r.nspname)).toEqual([fresh.schema]);
  });
});
