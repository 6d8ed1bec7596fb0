import { AppointmentsErrorCode as C } from '../src/app/domain/appointments.errors';
import type { ScheduleRow } from '../src/app/prisma';
import { SchedulingRepository } from '../src/app/scheduling/scheduling.repository';
import { SchedulingService } from '../src/app/scheduling/scheduling.service';
import { expectRefusal } from './support/expect-error';
import { actor, at, createTestDatabase, TestClock, type TestDatabase } from './support/harness';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';
import { createServices, type Services } from './support/services';

const TRUST = actor('RTH', 'south-east');
const OTHER_TRUST = actor('RJ1', 'london');

describe('idempotent slot publication (unique (ods_code, idempotency_key), real PostgreSQL)', () => {
  let db: TestDatabase;
  let identity: IdentityTestServer;
  let s: Services;
  let schedule: ScheduleRow;
  let n = 0;
  const key = () => `slot-${Date.now()}-${++n}`;
  const slotAt = (day: number, hour: number, minutes = 30) => ({
    start: at(day, hour),
    end: new Date(at(day, hour).getTime() + minutes * 60_000),
  });

  beforeAll(async () => {
    db = await createTestDatabase(12);
    identity = new IdentityTestServer();
    await identity.start();
    s = createServices(db, new TestClock(new Date()), identity.address);
    schedule = await s.scheduling.createSchedule(TRUST, { serviceType: 'slot-idem-clinic' });
  });

  afterAll(async () => {
    s?.identity.close();
    await identity?.stop();
    await db?.drop();
  });

  it('replays the same key and content with the first slot; refuses the key with other content', async () => {
    const k = key();
    const input = { ...slotAt(4, 9), idempotencyKey: k };
    const [first] = await s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [input]);
    expect(first!.replayed).toBe(false);
    expect(first!.slot.idempotencyKey).toBe(k);
    const [again] = await s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [input]);
    expect([again!.replayed, again!.slot.id, again!.slot.version]).toEqual([
      true,
      first!.slot.id,
      1,
    ]);
    const reused = await expectRefusal(
      s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [
        { ...slotAt(4, 11), idempotencyKey: k },
      ]),
      C.IdempotencyKeyReused,
    );
    expect(reused.message).toContain(first!.slot.id);
    // another status is other content too
    await expectRefusal(
      s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [
        { ...input, status: 'busy_unavailable' },
      ]),
      C.IdempotencyKeyReused,
    );
    // conditional create (If-None-Exist on the key): the existing slot whatever is asked
    const [conditional] = await s.scheduling.publishOrReplaySlots(
      TRUST,
      schedule.id,
      [{ ...slotAt(4, 11), idempotencyKey: k }],
      { ifNoneExist: true },
    );
    expect([conditional!.replayed, conditional!.slot.id]).toEqual([true, first!.slot.id]);
    const rows = await db.sql.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM slots WHERE idempotency_key = $1',
      [k],
    );
    expect(rows.rows[0]!.n).toBe('1');
  });

  it('keeps keys per owning organisation, and unkeyed slots as before (overlap refused)', async () => {
    const k = key();
    const theirs = await s.scheduling.createSchedule(OTHER_TRUST, { serviceType: 'slot-idem-2' });
    const [mine] = await s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [
      { ...slotAt(5, 9), idempotencyKey: k },
    ]);
    const [other] = await s.scheduling.publishOrReplaySlots(OTHER_TRUST, theirs.id, [
      { ...slotAt(5, 9), idempotencyKey: k },
    ]);
    expect(other!.replayed).toBe(false);
    expect(other!.slot.id).not.toBe(mine!.slot.id);
    // the same key on another of the owner's schedules is other content
    const second = await s.scheduling.createSchedule(TRUST, { serviceType: 'slot-idem-3' });
    await expectRefusal(
      s.scheduling.publishOrReplaySlots(TRUST, second.id, [{ ...slotAt(5, 9), idempotencyKey: k }]),
      C.IdempotencyKeyReused,
    );
    // without a key, a retry is an overlap with the first publication
    await s.scheduling.publishSlots(TRUST, schedule.id, [slotAt(5, 12)]);
    await expectRefusal(
      s.scheduling.publishSlots(TRUST, schedule.id, [slotAt(5, 12)]),
      C.SlotOverlap,
    );
    // a new key over an existing slot's time is still an overlap
    await expectRefusal(
      s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [
        { ...slotAt(5, 12), idempotencyKey: key() },
      ]),
      C.SlotOverlap,
    );
  });

  it('validates keys: format, duplicates in one request; a batch mixes replays and new slots', async () => {
    const bad = await expectRefusal(
      s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [
        { ...slotAt(6, 9), idempotencyKey: 'short' },
      ]),
      C.InvalidArgument,
    );
    expect(bad.message).toContain('slots[0].idempotency_key');
    const k = key();
    const dup = await expectRefusal(
      s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [
        { ...slotAt(6, 9), idempotencyKey: k },
        { ...slotAt(6, 10), idempotencyKey: k },
      ]),
      C.InvalidArgument,
    );
    expect(dup.message).toContain('slots[1].idempotency_key');
    const [a] = await s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [
      { ...slotAt(6, 9), idempotencyKey: k },
    ]);
    const batch = await s.scheduling.publishOrReplaySlots(TRUST, schedule.id, [
      { ...slotAt(6, 10), idempotencyKey: key() },
      { ...slotAt(6, 9), idempotencyKey: k },
      slotAt(6, 11),
    ]);
    expect(batch.map((p) => p.replayed)).toEqual([false, true, false]);
    expect(batch[1]!.slot.id).toBe(a!.slot.id);
    expect(batch.map((p) => p.slot.startAt.toISOString())).toEqual(
      [10, 9, 11].map((h) => at(6, h).toISOString()),
    );
  });

  it('makes one slot of 10 concurrent identical publications', async () => {
    // every publication is inside its transaction, at the organisation's lock, before any goes on
    const racers = 10;
    let waiting = 0;
    let release!: () => void;
    const allAtTheLock = new Promise<void>((r) => (release = r));
    class RacingRepository extends SchedulingRepository {
      override async lockKeyedPublication(
        ...args: Parameters<SchedulingRepository['lockKeyedPublication']>
      ) {
        if (waiting < racers) {
          if (++waiting === racers) release();
          await allAtTheLock;
        }
        return super.lockKeyedPublication(...args);
      }
    }
    const racing = new SchedulingService(
      new RacingRepository(db.prisma),
      new TestClock(new Date()),
    );
    const k = key();
    const results = await Promise.all(
      Array.from({ length: racers }, () =>
        racing.publishOrReplaySlots(TRUST, schedule.id, [{ ...slotAt(7, 9), idempotencyKey: k }]),
      ),
    );
    expect(new Set(results.map((r) => r[0]!.slot.id)).size).toBe(1);
    expect(results.filter((r) => !r[0]!.replayed)).toHaveLength(1);
    const rows = await db.sql.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM slots WHERE schedule_id = $1 AND start_at = $2',
      [schedule.id, at(7, 9)],
    );
    expect(rows.rows[0]!.n).toBe('1');
  });
});
