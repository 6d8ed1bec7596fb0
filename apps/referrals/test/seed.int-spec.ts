import { sctidProblem } from '../src/app/domain/snomed';
import { ReferralsRepository } from '../src/app/referrals/referrals.repository';
import { DEMO_REFERRALS, seed } from '../scripts/seed';
import { createTestDatabase, type TestDatabase } from './support/harness';

describe('referrals demo seed', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('seeds every state with timelines, some breaching, and is idempotent', async () => {
    const now = new Date('2028-03-01T12:00:00Z');
    expect(await seed(db.prisma, now)).toBe(DEMO_REFERRALS.length);
    expect(await seed(db.prisma, now)).toBe(DEMO_REFERRALS.length);
    for (const d of DEMO_REFERRALS)
      expect([d.key, sctidProblem(d.reason[0])]).toEqual([d.key, undefined]);
    const states = await db.sql.query(
      'SELECT DISTINCT status::text AS s FROM referrals ORDER BY 1',
    );
    expect(states.rows.map((r) => r.s)).toEqual([
      'accepted',
      'advice-given',
      'booked',
      'cancelled',
      'completed',
      'rejected',
      'sent',
    ]);
    const count = await db.sql.query('SELECT count(*)::int AS n FROM referrals');
    expect(count.rows[0].n).toBe(DEMO_REFERRALS.length);
    const repo = new ReferralsRepository(db.prisma);
    const rows = [
      ...(await repo.waitingList({ region: 'london' }, now)),
      ...(await repo.waitingList({ region: 'midlands' }, now)),
      ...(await repo.waitingList({ region: 'north-east' }, now)),
    ];
    expect(rows.reduce((n, r) => n + r.breached18Weeks, 0)).toBeGreaterThanOrEqual(3);
    expect(rows.reduce((n, r) => n + r.breachedTwoWeekWait, 0)).toBeGreaterThanOrEqual(2);
    const t = await db.sql.query('SELECT count(*)::int AS n FROM referral_transitions');
    expect(t.rows[0].n).toBe(DEMO_REFERRALS.reduce((n, d) => n + 1 + d.path.length, 0));
  });
});
