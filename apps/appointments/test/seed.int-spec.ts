import { seed, DEMO_SCHEDULES, stableUuid } from '../scripts/seed';
import { createTestDatabase, type TestDatabase } from './support/harness';

describe('demo seed', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(4);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('creates the demo schedules with three weeks of weekday slots, and a re-run adds nothing', async () => {
    const first = await seed(db.prisma, 21, new Date('2030-03-04T12:00:00Z')); // a Monday
    expect(first.schedules).toBe(DEMO_SCHEDULES.length);
    expect(first.slotsInserted).toBeGreaterThan(2000);
    const second = await seed(db.prisma, 21, new Date('2030-03-04T12:00:00Z'));
    expect(second.slotsInserted).toBe(0);
    const weekend = await db.sql.query(
      'SELECT count(*)::int AS n FROM slots WHERE extract(isodow FROM start_at) >= 6',
    );
    expect(weekend.rows[0].n).toBe(0);
    const gp = await db.sql.query(
      'SELECT count(*)::int AS n, min(start_at) AS first FROM slots WHERE schedule_id = $1',
      [stableUuid('a81001-gp')],
    );
    expect(gp.rows[0].n).toBe(15 * 48); // 15 weekdays x (4 h + 4 h) / 10 min
    expect(new Date(gp.rows[0].first).toISOString()).toBe('2030-03-05T08:00:00.000Z');
  });
});
