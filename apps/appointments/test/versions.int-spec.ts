import { AppointmentsErrorCode as C } from '../src/app/domain/appointments.errors';
import type { ScheduleRow, SlotRow } from '../src/app/prisma';
import { expectRefusal } from './support/expect-error';
import {
  actor,
  at,
  createTestDatabase,
  TestClock,
  testNhsNumber,
  type TestDatabase,
} from './support/harness';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';
import { createServices, type Services } from './support/services';

const TRUST = actor('RTH', 'south-east');
const GP = actor('A81001', 'north-east');
const STRANGER = actor('B82001', 'london');

describe('appointment versions, schedule list, slot read (real PostgreSQL)', () => {
  let db: TestDatabase;
  let identity: IdentityTestServer;
  let clock: TestClock;
  let s: Services;
  const patient = testNhsNumber();
  const old = testNhsNumber();
  const survivor = testNhsNumber();
  let n = 0;
  const key = () => `ver-${Date.now()}-${++n}`;

  beforeAll(async () => {
    db = await createTestDatabase(10);
    identity = new IdentityTestServer();
    identity.add({ nhsNumber: patient }, { nhsNumber: old }, { nhsNumber: survivor });
    await identity.start();
    clock = new TestClock(new Date());
    s = createServices(db, clock, identity.address);
  });

  afterAll(async () => {
    s?.identity.close();
    await identity?.stop();
    await db?.drop();
  });

  async function slots(sch: ScheduleRow, day: number, count: number): Promise<SlotRow[]> {
    const base = at(day, 9);
    return s.scheduling.publishSlots(
      TRUST,
      sch.id,
      Array.from({ length: count }, (_, i) => ({
        start: new Date(base.getTime() + i * 15 * 60_000),
        end: new Date(base.getTime() + (i + 1) * 15 * 60_000),
      })),
    );
  }

  it('records one version per change in the change transaction and reads them back', async () => {
    const sch = await s.scheduling.createSchedule(TRUST, { serviceType: 'ver-clinic' });
    const [a, b] = await slots(sch, 3, 2);
    const { appointment } = await s.booking.book(GP, {
      idempotencyKey: key(),
      slotId: a!.id,
      nhsNumber: patient,
    });
    await s.booking.reschedule(GP, appointment.id, b!.id, 'clash', {}, 1);
    // a stale expected version is refused inside the transaction, nothing recorded
    const stale = await expectRefusal(
      s.booking.cancel(GP, appointment.id, 'moved', {}, 1),
      C.VersionConflict,
    );
    expect(stale.message).toMatch(/version 2, not the expected version 1/);
    await s.booking.cancel(GP, appointment.id, 'no longer needed', {}, 2);
    const all = await s.booking.listVersions(TRUST, appointment.id, {});
    expect(all.total).toBe(3);
    expect(all.versions.map((v) => [v.version, v.change, v.appointment.status])).toEqual([
      [3, 'cancelled', 'cancelled'],
      [2, 'rescheduled', 'booked'],
      [1, 'booked', 'booked'],
    ]);
    expect(all.versions[2]!.changedByOds).toBe('A81001');
    const v1 = await s.booking.getVersion(GP, appointment.id, 1);
    expect(v1.appointment).toMatchObject({
      id: appointment.id,
      slotId: a!.id,
      nhsNumber: patient,
      version: 1,
      startAt: a!.startAt,
    });
    expect((await s.booking.getVersion(GP, appointment.id, 2)).appointment.slotId).toBe(b!.id);
    // paging: newest first, two pages, token bound to the appointment
    const p1 = await s.booking.listVersions(GP, appointment.id, { pageSize: 2 });
    expect(p1.versions.map((v) => v.version)).toEqual([3, 2]);
    const p2 = await s.booking.listVersions(GP, appointment.id, {
      pageSize: 2,
      pageToken: p1.nextPageToken,
    });
    expect([p2.versions.map((v) => v.version), p2.nextPageToken]).toEqual([[1], '']);
    const { appointment: other } = await s.booking.book(GP, {
      idempotencyKey: key(),
      slotId: a!.id,
      nhsNumber: patient,
    });
    await expectRefusal(
      s.booking.listVersions(GP, other.id, { pageSize: 2, pageToken: p1.nextPageToken }),
      C.InvalidArgument,
    );
  });

  it('applies GetAppointment visibility and reports unknown versions', async () => {
    const sch = await s.scheduling.createSchedule(TRUST, { serviceType: 'ver-clinic' });
    const [a] = await slots(sch, 4, 1);
    const { appointment } = await s.booking.book(GP, {
      idempotencyKey: key(),
      slotId: a!.id,
      nhsNumber: patient,
    });
    await expectRefusal(s.booking.getVersion(STRANGER, appointment.id, 1), C.AppointmentNotFound);
    await expectRefusal(
      s.booking.listVersions(STRANGER, appointment.id, {}),
      C.AppointmentNotFound,
    );
    const missing = await expectRefusal(
      s.booking.getVersion(GP, appointment.id, 7),
      C.AppointmentVersionNotFound,
    );
    expect(missing.message).toMatch(/no version 7/);
    await expectRefusal(s.booking.getVersion(GP, appointment.id, 0), C.InvalidArgument);
  });

  it('records attendance, no-show and merges as versions', async () => {
    const sch = await s.scheduling.createSchedule(TRUST, { serviceType: 'ver-clinic' });
    const [a, b] = await slots(sch, 5, 2);
    const first = await s.booking.book(GP, {
      idempotencyKey: key(),
      slotId: a!.id,
      nhsNumber: old,
    });
    const second = await s.booking.book(GP, {
      idempotencyKey: key(),
      slotId: b!.id,
      nhsNumber: old,
    });
    const moved = await db.prisma.$transaction((tx) =>
      s.booking.onPatientMerged(tx, old, survivor),
    );
    expect(moved).toBe(2);
    clock.set(new Date(b!.startAt.getTime() + 60_000));
    try {
      await s.booking.markArrived(TRUST, first.appointment.id, {}, 2);
      await s.booking.markFulfilled(TRUST, first.appointment.id);
      await s.booking.markNoShow(TRUST, second.appointment.id);
    } finally {
      clock.set(new Date());
    }
    const v = await s.booking.listVersions(TRUST, first.appointment.id, {});
    expect(v.versions.map((x) => [x.change, x.appointment.nhsNumber])).toEqual([
      ['fulfilled', survivor],
      ['arrived', survivor],
      ['patient-merged', survivor],
      ['booked', old],
    ]);
    const w = await s.booking.listVersions(TRUST, second.appointment.id, {});
    expect(w.versions.map((x) => x.change)).toEqual(['noshow', 'patient-merged', 'booked']);
    const rows = await db.sql.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM appointment_versions av JOIN appointments a ON a.id = av.appointment_id WHERE av.version > a.version',
    );
    expect(rows.rows[0]!.n).toBe('0');
  });

  it('creates schedules idempotently per owner and key; concurrent retries make one schedule', async () => {
    const key = `clinic-${Date.now()}`;
    const input = { serviceType: 'idem-clinic', name: 'Idem clinic', idempotencyKey: key };
    const first = await s.scheduling.createOrReplaySchedule(TRUST, input);
    expect(first.replayed).toBe(false);
    expect(first.schedule.idempotencyKey).toBe(key);
    const again = await s.scheduling.createOrReplaySchedule(TRUST, input);
    expect([again.replayed, again.schedule.id]).toEqual([true, first.schedule.id]);
    // same key, other content: refused naming the first schedule
    const reused = await expectRefusal(
      s.scheduling.createOrReplaySchedule(TRUST, { ...input, name: 'Other' }),
      C.IdempotencyKeyReused,
    );
    expect(reused.message).toContain(first.schedule.id);
    // the key is per owning organisation
    const elsewhere = await s.scheduling.createOrReplaySchedule(GP, input);
    expect(elsewhere.schedule.id).not.toBe(first.schedule.id);
    await expectRefusal(
      s.scheduling.createOrReplaySchedule(TRUST, { ...input, idempotencyKey: 'short' }),
      C.InvalidArgument,
    );
    const racing = await Promise.all(
      Array.from({ length: 10 }, () =>
        s.scheduling.createOrReplaySchedule(TRUST, { ...input, idempotencyKey: `${key}-race` }),
      ),
    );
    expect(new Set(racing.map((r) => r.schedule.id)).size).toBe(1);
    expect(racing.filter((r) => !r.replayed)).toHaveLength(1);
    const listed = await s.scheduling.listSchedules({ odsCode: 'RTH', idempotencyKey: key });
    expect(listed.schedules.map((x) => x.id)).toEqual([first.schedule.id]);
  });

  it('lists schedules by owner and service type (keyset pages) and reads a slot', async () => {
    const svc = `list-${Date.now()}`;
    const made: ScheduleRow[] = [];
    for (let i = 0; i < 3; i++)
      made.push(await s.scheduling.createSchedule(TRUST, { serviceType: svc, name: `S${i}` }));
    await s.scheduling.createSchedule(GP, { serviceType: svc });
    // the list order is (created_at, id): two creations in the same millisecond order by id
    made.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
    const p1 = await s.scheduling.listSchedules({ odsCode: 'RTH', serviceType: svc, pageSize: 2 });
    expect(p1.schedules.map((x) => x.id)).toEqual(made.slice(0, 2).map((x) => x.id));
    const p2 = await s.scheduling.listSchedules({
      odsCode: 'RTH',
      serviceType: svc,
      pageSize: 2,
      pageToken: p1.nextPageToken,
    });
    expect([p2.schedules.map((x) => x.id), p2.nextPageToken]).toEqual([[made[2]!.id], '']);
    expect((await s.scheduling.listSchedules({ serviceType: svc })).schedules).toHaveLength(4);
    await expectRefusal(
      s.scheduling.listSchedules({ odsCode: 'GP', serviceType: svc, pageToken: p1.nextPageToken }),
      C.InvalidArgument,
    );
    const [slot] = await slots(made[0]!, 6, 1);
    expect(await s.scheduling.getSlot(slot!.id)).toMatchObject({ id: slot!.id, status: 'free' });
    await expectRefusal(
      s.scheduling.getSlot('00000000-0000-4000-8000-000000000000'),
      C.SlotNotFound,
    );
    await expectRefusal(s.scheduling.getSlot('nope'), C.InvalidArgument);
  });
});
