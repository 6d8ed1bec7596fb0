import { demoReports, seed } from '../scripts/seed';
import { createTestDatabase, type TestDatabase } from './support/harness';

describe('results demo seed', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(4);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('creates the demo reports (some abnormal, one critical, one imaging) and a re-run adds nothing', async () => {
    expect(await seed(db.prisma)).toEqual({ created: demoReports().length, replayed: 0 });
    expect(await seed(db.prisma)).toEqual({ created: 0, replayed: demoReports().length });
    const r = await db.sql.query<{ category: string; severity_rank: number; n: number }>(
      'SELECT category, severity_rank, count(*)::int AS n FROM reports GROUP BY 1, 2 ORDER BY 1, 2',
    );
    expect(r.rows).toEqual([
      { category: 'pathology', severity_rank: 0, n: 3 },
      { category: 'pathology', severity_rank: 1, n: 3 },
      { category: 'pathology', severity_rank: 2, n: 1 },
      { category: 'radiology', severity_rank: 0, n: 1 },
    ]);
    const ev = await db.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox_events WHERE ce_type = 'uk.nhs.trellis.results.ResultAvailable.v1'",
    );
    expect(ev.rows[0]!.n).toBe(demoReports().length);
  });
});
