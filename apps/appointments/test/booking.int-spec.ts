import { status } from '@grpc/grpc-js';
import { events } from '@trellis/contracts';

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

// Providers (schedule owners) and bookers, with the demo ODS codes' shapes.
const TRUST = actor('RTH', 'south-east');
const OTHER_TRUST = actor('RXA', 'north-east');
const GP = actor('A81001', 'north-east');
const OTHER_GP = actor('B82001', 'london');
const PHARMACY = actor('FA123', 'london');

describe('appointments (real PostgreSQL, identity over gRPC)', () => {
  let db: TestDatabase;
  let identity: IdentityTestServer;
  let clock: TestClock;
  let s: Services;

  const alive = testNhsNumber();
  const alive2 = testNhsNumber();
  const dead = testNhsNumber();
  const merged = testNhsNumber();
  const survivor = testNhsNumber();
  const unknown = testNhsNumber();

  beforeAll(async () => {
    db = await createTestDatabase(30);
    identity = new IdentityTestServer();
    identity.add(
      { nhsNumber: alive },
      { nhsNumber: alive2 },
      { nhsNumber: dead, deceasedAt: new Date('2026-01-01T00:00:00Z') },
      { nhsNumber: survivor },
      { nhsNumber: merged, mergedInto: survivor },
    );
    await identity.start();
    clock = new TestClock(new Date());
    s = createServices(db, clock, identity.address);
  });

  afterAll(async () => {
    s?.identity.close();
    await identity?.stop();
    await db?.drop();
  });

  async function schedule(
    owner = TRUST,
    extra: Partial<Parameters<Services['scheduling']['createSchedule']>[1]> = {},
  ): Promise<ScheduleRow> {
    return s.scheduling.createSchedule(owner, {
      serviceType: 'cardiology-opd',
      specialty: 'cardiology',
      ...extra,
    });
  }

  async function slots(
    sch: ScheduleRow,
    owner: typeof TRUST,
    day: number,
    count: number,
    minutes = 15,
    startHour = 9,
  ): Promise<SlotRow[]> {
    const base = at(day, startHour);
    return s.scheduling.publishSlots(
      owner,
      sch.id,
      Array.from({ length: count }, (_, i) => ({
        start: new Date(base.getTime() + i * minutes * 60_000),
        end: new Date(base.getTime() + (i + 1) * minutes * 60_000),
      })),
    );
  }

  let keyN = 0;
  const key = () => `key-${Date.now()}-${++keyN}`;

  async function outboxTypes(appointmentId: string): Promise<string[]> {
    const r = await db.sql.query<{ ce_type: string }>(
      'SELECT ce_type FROM outbox_events WHERE ce_subject = $1 ORDER BY seq',
      [appointmentId],
    );
    return r.rows.map((x) =>
      x.ce_type.replace('uk.nhs.trellis.appointments.', '').replace('.v1', ''),
    );
  }

  async function slotStatus(id: string): Promise<string> {
    const r = await db.sql.query<{ status: string }>(
      'SELECT status::text FROM slots WHERE id = $1',
      [id],
    );
    return r.rows[0]!.status;
  }

  describe('schedules and slots', () => {
    it('creates a schedule for the caller organisation with its region by default', async () => {
      const sch = await schedule(TRUST, {
        bookableByOdsCodes: ['A81001'],
        bookableByOrgTypes: ['nhs-trust'],
        practitionerId: 'C1234567',
      });
      expect(sch).toMatchObject({
        odsCode: 'RTH',
        region: 'south-east',
        serviceType: 'cardiology-opd',
        practitionerId: 'C1234567',
        bookableByOdsCodes: ['A81001'],
      });
      expect((await s.scheduling.getSchedule(sch.id)).id).toBe(sch.id);
    });

    it('refuses a schedule for another organisation, and reports every invalid field at once', async () => {
      await expectRefusal(schedule(TRUST, { odsCode: 'RXA' }), C.NotScheduleOwner);
      const err = await expectRefusal(
        s.scheduling.createSchedule(TRUST, {
          serviceType: '',
          region: 'London!',
          bookableByOrgTypes: ['castle'],
          bookableByOdsCodes: ['bad code'],
        }),
        C.InvalidArgument,
      );
      expect(err.violations.map((v) => v.field).sort()).toEqual([
        'bookable_by_ods_codes[0]',
        'bookable_by_org_types[0]',
        'region',
        'service_type',
      ]);
      await expectRefusal(
        s.scheduling.getSchedule('6f1c7c0e-1111-4a4a-8a8a-000000000000'),
        C.ScheduleNotFound,
      );
    });

    it('refuses an organisation missing from the ODS reference data, and a region contradicting it; the region comes from the data', async () => {
      const unknown = await expectRefusal(
        schedule(actor('ZZZ99', 'london'), { odsCode: 'ZZZ99' }),
        C.InvalidArgument,
      );
      expect(unknown.violations).toEqual([
        expect.objectContaining({ field: 'ods_code', rule: 'organisation.unknown' }),
      ]);
      const wrong = await expectRefusal(schedule(TRUST, { region: 'london' }), C.InvalidArgument);
      expect(wrong.violations).toEqual([
        expect.objectContaining({ field: 'region', rule: 'region.mismatch' }),
      ]);
      // the token's region claim does not decide: RTH is in the south-east
      const sch = await schedule(actor('RTH', 'london'));
      expect(sch.region).toBe('south-east');
    });

    it('publishes slots in bulk, back to back, only by the owner', async () => {
      const sch = await schedule();
      const published = await slots(sch, TRUST, 3, 8);
      expect(published).toHaveLength(8);
      expect(
        published.every(
          (x) => x.status === 'free' && x.odsCode === 'RTH' && x.region === 'south-east',
        ),
      ).toBe(true);
      await expectRefusal(slots(sch, OTHER_TRUST, 4, 2), C.NotScheduleOwner);
      const unavailable = await s.scheduling.publishSlots(TRUST, sch.id, [
        { start: at(5, 9), end: at(5, 10), status: 'busy_unavailable' },
      ]);
      expect(unavailable[0]!.status).toBe('busy_unavailable');
    });

    it('refuses overlapping slots: within the request with paths, against stored slots naming the clash (database constraint)', async () => {
      const sch = await schedule();
      const [first] = await slots(sch, TRUST, 3, 4);
      const inBatch = await expectRefusal(
        s.scheduling.publishSlots(TRUST, sch.id, [
          { start: at(6, 9), end: at(6, 10) },
          { start: at(6, 9, 30), end: at(6, 10, 30) },
        ]),
        C.InvalidArgument,
      );
      expect(inBatch.violations[0]).toMatchObject({ field: 'slots[1]', rule: 'slot-overlap' });
      const existing = await expectRefusal(
        s.scheduling.publishSlots(TRUST, sch.id, [
          { start: at(7, 9), end: at(7, 9, 15) },
          { start: at(3, 9, 5), end: at(3, 9, 20) },
        ]),
        C.SlotOverlap,
      );
      expect(existing.metadata).toMatchObject({ conflictingSlotId: first!.id, index: '1' });
      // all or nothing: the first, valid slot of the refused batch was not stored
      const r = await db.sql.query('SELECT count(*)::int AS n FROM slots WHERE schedule_id = $1', [
        sch.id,
      ]);
      expect(r.rows[0].n).toBe(4);
      // another schedule may use the same times
      await expect(slots(await schedule(), TRUST, 3, 4)).resolves.toHaveLength(4);
    });

    it('refuses slots in the past, reversed, or marked busy', async () => {
      const sch = await schedule();
      const err = await expectRefusal(
        s.scheduling.publishSlots(TRUST, sch.id, [
          { start: at(-1, 9), end: at(-1, 10) },
          { start: at(2, 10), end: at(2, 9) },
          { start: at(2, 11), end: at(2, 12), status: 'busy' },
        ]),
        C.InvalidArgument,
      );
      expect(err.violations.map((v) => `${v.field}:${v.rule}`)).toEqual([
        'slots[0].start:future',
        'slots[1].end:end-after-start',
        'slots[2].status:slot-status',
      ]);
    });

    it('searches free slots by service, organisation, region and window, in start order, page by page', async () => {
      const service = `dermatology-${Date.now()}`;
      const a = await schedule(TRUST, { serviceType: service });
      const b = await schedule(OTHER_TRUST, { serviceType: service });
      await slots(a, TRUST, 10, 12, 30);
      await slots(b, OTHER_TRUST, 10, 12, 30, 8);
      await slots(a, TRUST, 40, 3, 30); // outside the window
      const from = at(10, 0);
      const to = at(11, 0);
      const all: SlotRow[] = [];
      let token = '';
      let pages = 0;
      do {
        const page = await s.scheduling.searchFreeSlots({
          serviceType: service,
          from,
          to,
          pageSize: 5,
          pageToken: token,
        });
        all.push(...page.slots);
        token = page.nextPageToken;
        pages++;
      } while (token);
      expect(all).toHaveLength(24);
      expect(pages).toBe(5);
      const starts = all.map((x) => x.startAt.getTime());
      expect(starts).toEqual([...starts].sort((x, y) => x - y));
      expect(new Set(all.map((x) => x.id)).size).toBe(24);

      const byOrg = await s.scheduling.searchFreeSlots({
        serviceType: service,
        odsCode: 'RXA',
        from,
        to,
        pageSize: 100,
      });
      expect(byOrg.slots).toHaveLength(12);
      const byRegion = await s.scheduling.searchFreeSlots({
        serviceType: service,
        region: 'south-east',
        from,
        to,
        pageSize: 100,
      });
      expect(byRegion.slots.every((x) => x.odsCode === 'RTH')).toBe(true);

      // a booked slot is no longer free
      const { appointment } = await s.booking.book(GP, {
        idempotencyKey: key(),
        slotId: all[0]!.id,
        nhsNumber: alive,
      });
      const after = await s.scheduling.searchFreeSlots({
        serviceType: service,
        from,
        to,
        pageSize: 100,
      });
      expect(after.slots.map((x) => x.id)).not.toContain(appointment.slotId);

      const page1 = await s.scheduling.searchFreeSlots({
        serviceType: service,
        from,
        to,
        pageSize: 5,
      });
      await expectRefusal(
        s.scheduling.searchFreeSlots({
          serviceType: 'other',
          from,
          to,
          pageSize: 5,
          pageToken: page1.nextPageToken,
        }),
        C.InvalidArgument,
      );
      const bad = await expectRefusal(
        s.scheduling.searchFreeSlots({ from: to, to: from, pageSize: 501 }),
        C.InvalidArgument,
      );
      expect(bad.violations.map((v) => v.field).sort()).toEqual([
        'page.page_size',
        'service_type',
        'start_to',
      ]);
    });
  });

  describe('booking', () => {
    let sch: ScheduleRow;
    let free: SlotRow[];

    beforeAll(async () => {
      sch = await schedule(TRUST, {
        bookableByOdsCodes: ['A81001'],
        bookableByOrgTypes: ['nhs-trust'],
      });
      free = await slots(sch, TRUST, 2, 40);
    });

    it('books a free slot: appointment booked, slot busy, AppointmentBooked with the referral id in the outbox', async () => {
      const slot = free[0]!;
      const k = key();
      const { appointment, replayed } = await s.booking.book(
        GP,
        { idempotencyKey: k, slotId: slot.id, nhsNumber: alive, referralId: 'ref-123' },
        { authorization: 'Bearer token-x' },
      );
      expect(replayed).toBe(false);
      expect(appointment).toMatchObject({
        status: 'booked',
        nhsNumber: alive,
        slotId: slot.id,
        odsCode: 'RTH',
        region: 'south-east',
        bookingOdsCode: 'A81001',
        referralId: 'ref-123',
      });
      expect(await slotStatus(slot.id)).toBe('busy');
      expect(identity.calls.at(-1)).toEqual({ nhsNumber: alive, authorization: 'Bearer token-x' });

      const rows = await db.sql.query('SELECT * FROM outbox_events WHERE ce_subject = $1', [
        appointment.id,
      ]);
      expect(rows.rows).toHaveLength(1);
      const row = rows.rows[0];
      expect(row).toMatchObject({
        topic: 'trellis.appointments.appointment.v1',
        key: alive,
        ce_type: 'uk.nhs.trellis.appointments.AppointmentBooked.v1',
        ods_code: 'RTH',
        region: 'south-east',
      });
      expect(row.regions.sort()).toEqual(['north-east', 'south-east']);
      const payload = events.v1.AppointmentBooked.decode(row.payload);
      expect(payload.appointment).toMatchObject({
        appointmentId: appointment.id,
        nhsNumber: alive,
        referralId: 'ref-123',
        odsCode: 'RTH',
        region: 'south-east',
        bookingOdsCode: 'A81001',
      });
      expect(payload.context?.actor?.organisation?.odsCode).toBe('A81001');

      // same key, same request → same appointment, no second event
      const again = await s.booking.book(GP, {
        idempotencyKey: k,
        slotId: slot.id,
        nhsNumber: alive,
        referralId: 'ref-123',
      });
      expect(again).toMatchObject({ replayed: true, appointment: { id: appointment.id } });
      expect(await outboxTypes(appointment.id)).toEqual(['AppointmentBooked']);

      // same key, different request → refused
      const reused = await expectRefusal(
        s.booking.book(GP, { idempotencyKey: k, slotId: free[1]!.id, nhsNumber: alive }),
        C.IdempotencyKeyReused,
      );
      expect(reused.kind).toBe('ALREADY_EXISTS');
      expect(await slotStatus(free[1]!.id)).toBe('free');
    });

    it('refuses a second booking of the same slot with a conflict naming the slot', async () => {
      const slot = free[2]!;
      await s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: alive });
      const err = await expectRefusal(
        s.booking.book(OTHER_TRUST, { idempotencyKey: key(), slotId: slot.id, nhsNumber: alive2 }),
        C.SlotNotFree,
      );
      expect(err.kind).toBe('ABORTED');
      expect(err.metadata['slotId']).toBe(slot.id);
      expect(err.message).toContain(slot.id);
    });

    it('applies who-may-book: named ODS codes and organisation types pass, others are refused', async () => {
      await expect(
        s.booking.book(OTHER_TRUST, {
          idempotencyKey: key(),
          slotId: free[3]!.id,
          nhsNumber: alive,
        }),
      ).resolves.toBeDefined(); // type nhs-trust
      await expectRefusal(
        s.booking.book(OTHER_GP, { idempotencyKey: key(), slotId: free[4]!.id, nhsNumber: alive }),
        C.NotAllowedToBook,
      );
      await expectRefusal(
        s.booking.book(PHARMACY, { idempotencyKey: key(), slotId: free[4]!.id, nhsNumber: alive }),
        C.NotAllowedToBook,
      );
      expect(await slotStatus(free[4]!.id)).toBe('free');
    });

    it('refuses unknown, deceased and merged patients, and says when identity is down', async () => {
      const slot = free[5]!;
      await expectRefusal(
        s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: unknown }),
        C.PatientNotFound,
      );
      await expectRefusal(
        s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: dead }),
        C.PatientDeceased,
      );
      const m = await expectRefusal(
        s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: merged }),
        C.PatientMerged,
      );
      expect(m.metadata['survivorNhsNumber']).toBe(survivor);
      identity.failWith = 7; // PERMISSION_DENIED: the caller's token may not read the patient
      try {
        await expectRefusal(
          s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: alive }),
          C.PatientLookupDenied,
        );
      } finally {
        identity.failWith = undefined;
      }
      identity.failWith = 14; // UNAVAILABLE
      try {
        await expectRefusal(
          s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: alive }),
          C.IdentityUnavailable,
        );
      } finally {
        identity.failWith = undefined;
      }
      expect(await slotStatus(slot.id)).toBe('free');
    });

    it('refuses unknown and started slots and malformed requests', async () => {
      await expectRefusal(
        s.booking.book(GP, {
          idempotencyKey: key(),
          slotId: '6f1c7c0e-1111-4a4a-8a8a-000000000000',
          nhsNumber: alive,
        }),
        C.SlotNotFound,
      );
      const bad = await expectRefusal(
        s.booking.book(GP, { idempotencyKey: 'x', slotId: 'nope', nhsNumber: '1234567890' }),
        C.InvalidArgument,
      );
      expect(bad.violations.map((v) => v.field)).toEqual([
        'idempotency_key',
        'slot_id',
        'nhs_number',
      ]);
      const later = new TestClock(at(2, 12));
      const sLater = createServices(db, later, identity.address);
      try {
        await expectRefusal(
          sLater.booking.book(GP, { idempotencyKey: key(), slotId: free[6]!.id, nhsNumber: alive }),
          C.SlotInPast,
        );
      } finally {
        sLater.identity.close();
      }
    });

    it('500 concurrent attempts on 20 slots: exactly 20 bookings, 480 clear conflicts, no double booking', async () => {
      const race = await slots(await schedule(), TRUST, 20, 20);
      const patients = [alive, alive2, survivor];
      const attempts = Array.from({ length: 500 }, (_, i) => {
        const slot = race[i % 20]!;
        return s.booking
          .book(i % 2 ? GP : OTHER_TRUST, {
            idempotencyKey: `race-${i}-${Date.now()}`,
            slotId: slot.id,
            nhsNumber: patients[i % 3]!,
          })
          .then(
            (r) => ({ ok: true as const, slotId: r.appointment.slotId }),
            (e: unknown) => ({ ok: false as const, e }),
          );
      });
      const results = await Promise.all(attempts);
      const wins = results.filter((r) => r.ok);
      const losses = results.filter((r) => !r.ok);
      expect(wins).toHaveLength(20);
      expect(new Set(wins.map((w) => (w as { slotId: string }).slotId)).size).toBe(20);
      expect(losses).toHaveLength(480);
      for (const l of losses) {
        const e = (l as { e: { code?: string; metadata?: Record<string, string> } }).e;
        expect(e.code).toBe(C.SlotNotFree);
        expect(race.map((x) => x.id)).toContain(e.metadata?.['slotId']);
      }
      const ids = race.map((x) => x.id);
      const perSlot = await db.sql.query<{ slot_id: string; n: number }>(
        "SELECT slot_id::text, count(*)::int AS n FROM appointments WHERE slot_id = ANY($1::uuid[]) AND status <> 'cancelled' GROUP BY slot_id",
        [ids],
      );
      expect(perSlot.rows).toHaveLength(20);
      expect(perSlot.rows.every((r) => r.n === 1)).toBe(true);
      const busy = await db.sql.query(
        "SELECT count(*)::int AS n FROM slots WHERE id = ANY($1::uuid[]) AND status = 'busy'",
        [ids],
      );
      expect(busy.rows[0].n).toBe(20);
      const booked = await db.sql.query(
        "SELECT count(*)::int AS n FROM outbox_events o JOIN appointments a ON a.id::text = o.ce_subject WHERE a.slot_id = ANY($1::uuid[]) AND o.ce_type LIKE '%AppointmentBooked%'",
        [ids],
      );
      expect(booked.rows[0].n).toBe(20);
    });

    it('the database itself refuses a second live appointment on a slot', async () => {
      const slot = free[7]!;
      const { appointment } = await s.booking.book(GP, {
        idempotencyKey: key(),
        slotId: slot.id,
        nhsNumber: alive,
      });
      await expect(
        db.sql.query(
          `INSERT INTO appointments (id, nhs_number, slot_id, schedule_id, start_at, end_at, ods_code, region, service_type, booking_ods_code, booking_region, idempotency_key, request_hash)
           SELECT gen_random_uuid(), nhs_number, slot_id, schedule_id, start_at, end_at, ods_code, region, service_type, booking_ods_code, booking_region, 'sneaky-key', 'x' FROM appointments WHERE id = $1`,
          [appointment.id],
        ),
      ).rejects.toThrow(/appointments_one_active_per_slot/);
    });
  });

  describe('state machine', () => {
    let sch: ScheduleRow;
    let free: SlotRow[];
    let n = 0;
    const next = () => free[n++]!;

    beforeAll(async () => {
      sch = await schedule(TRUST);
      free = await slots(sch, TRUST, 4, 40);
    });

    async function booked(by = GP) {
      return (
        await s.booking.book(by, { idempotencyKey: key(), slotId: next().id, nhsNumber: alive })
      ).appointment;
    }

    it('cancel: needs a reason, frees the slot (bookable again), emits AppointmentCancelled; cancelling twice names the state', async () => {
      const a = await booked();
      await expectRefusal(s.booking.cancel(GP, a.id, ''), C.InvalidArgument);
      const c = await s.booking.cancel(GP, a.id, 'Patient asked to cancel');
      expect(c).toMatchObject({
        status: 'cancelled',
        cancellationReason: 'Patient asked to cancel',
        version: 2,
      });
      expect(await slotStatus(a.slotId)).toBe('free');
      const rebook = await s.booking.book(GP, {
        idempotencyKey: key(),
        slotId: a.slotId,
        nhsNumber: alive2,
      });
      expect(rebook.appointment.slotId).toBe(a.slotId);
      const twice = await expectRefusal(s.booking.cancel(GP, a.id, 'again'), C.IllegalTransition);
      expect(twice.metadata['currentState']).toBe('cancelled');
      expect(twice.message).toContain("'cancelled'");
      expect(await outboxTypes(a.id)).toEqual(['AppointmentBooked', 'AppointmentCancelled']);
      const row = await db.sql.query(
        "SELECT payload FROM outbox_events WHERE ce_subject = $1 AND ce_type LIKE '%Cancelled%'",
        [a.id],
      );
      expect(events.v1.AppointmentCancelled.decode(row.rows[0].payload)).toMatchObject({
        reason: 'Patient asked to cancel',
        cancelledBy: 'caller',
      });
    });

    it('reschedule: moves atomically to a free slot; a taken target leaves the original held', async () => {
      const a = await booked();
      const target = next();
      const moved = await s.booking.reschedule(GP, a.id, target.id, 'clinic moved');
      expect(moved.previousSlotId).toBe(a.slotId);
      expect(moved.appointment).toMatchObject({
        id: a.id,
        slotId: target.id,
        status: 'booked',
        startAt: target.startAt,
      });
      expect(await slotStatus(a.slotId)).toBe('free');
      expect(await slotStatus(target.id)).toBe('busy');
      expect(await outboxTypes(a.id)).toEqual(['AppointmentBooked', 'AppointmentRescheduled']);

      const other = await booked(OTHER_TRUST);
      const err = await expectRefusal(
        s.booking.reschedule(GP, a.id, other.slotId, 'x'),
        C.SlotNotFree,
      );
      expect(err.metadata['slotId']).toBe(other.slotId);
      expect((await s.booking.get(GP, a.id)).slotId).toBe(target.id);
      expect(await slotStatus(target.id)).toBe('busy');

      const elsewhere = await slots(await schedule(OTHER_TRUST), OTHER_TRUST, 4, 1);
      await expectRefusal(s.booking.reschedule(GP, a.id, elsewhere[0]!.id, 'x'), C.InvalidArgument);
      await expectRefusal(s.booking.reschedule(GP, a.id, target.id, 'x'), C.InvalidArgument);
      await expectRefusal(
        s.booking.reschedule(GP, a.id, '6f1c7c0e-1111-4a4a-8a8a-000000000000', 'x'),
        C.SlotNotFound,
      );
      await expectRefusal(
        s.booking.reschedule(OTHER_GP, a.id, next().id, 'x'),
        C.AppointmentNotFound,
      );
      // the target must be bookable by the organisation that booked
      const closed = await slots(
        await schedule(TRUST, { bookableByOdsCodes: ['B82001'] }),
        TRUST,
        4,
        1,
        15,
        20,
      );
      await expectRefusal(s.booking.reschedule(GP, a.id, closed[0]!.id, 'x'), C.NotAllowedToBook);
      expect((await s.booking.get(GP, a.id)).slotId).toBe(target.id);
    });

    it('arrived then fulfilled (provider only), each emitting AppointmentAttended; illegal steps name the state', async () => {
      const a = await booked();
      const fulfilEarly = await expectRefusal(
        s.booking.markFulfilled(TRUST, a.id),
        C.IllegalTransition,
      );
      expect(fulfilEarly.metadata['currentState']).toBe('booked');
      await expectRefusal(s.booking.markArrived(GP, a.id), C.NotInvolved);
      // days before the slot the arrival is refused; at the slot it is recorded
      const early = await expectRefusal(s.booking.markArrived(TRUST, a.id), C.TooEarly);
      expect(early.violations).toEqual([
        expect.objectContaining({ field: 'appointment_id', rule: 'arrival.too-early' }),
      ]);
      const now = clock.now();
      clock.set(a.startAt);
      expect((await s.booking.markArrived(TRUST, a.id)).status).toBe('arrived');
      clock.set(now);
      await expectRefusal(s.booking.cancel(GP, a.id, 'late'), C.IllegalTransition);
      await expectRefusal(s.booking.reschedule(GP, a.id, next().id, 'x'), C.IllegalTransition);
      const f = await s.booking.markFulfilled(TRUST, a.id);
      expect(f).toMatchObject({ status: 'fulfilled', version: 3 });
      const noshow = await expectRefusal(s.booking.markNoShow(TRUST, a.id), C.IllegalTransition);
      expect(noshow.metadata['currentState']).toBe('fulfilled');
      expect(await outboxTypes(a.id)).toEqual([
        'AppointmentBooked',
        'AppointmentAttended',
        'AppointmentAttended',
      ]);
      expect(await slotStatus(a.slotId)).toBe('busy');
    });

    it('no-show only once the slot has started; emits AppointmentMissed; then nothing else is allowed', async () => {
      const a = await booked();
      await expectRefusal(s.booking.markNoShow(TRUST, a.id), C.TooEarly);
      const later = new TestClock(new Date(a.startAt.getTime() + 10 * 60_000));
      const sLater = createServices(db, later, identity.address);
      try {
        await expectRefusal(sLater.booking.cancel(GP, a.id, 'too late'), C.SlotInPast);
        expect((await sLater.booking.markNoShow(TRUST, a.id)).status).toBe('noshow');
        const arrive = await expectRefusal(
          sLater.booking.markArrived(TRUST, a.id),
          C.IllegalTransition,
        );
        expect(arrive.metadata['currentState']).toBe('noshow');
      } finally {
        sLater.identity.close();
      }
      expect(await outboxTypes(a.id)).toEqual(['AppointmentBooked', 'AppointmentMissed']);
    });

    it('only the involved organisations see or change an appointment', async () => {
      const a = await booked();
      expect((await s.booking.get(GP, a.id)).id).toBe(a.id);
      expect((await s.booking.get(TRUST, a.id)).id).toBe(a.id);
      await expectRefusal(s.booking.get(OTHER_GP, a.id), C.AppointmentNotFound);
      await expectRefusal(s.booking.cancel(OTHER_GP, a.id, 'x'), C.AppointmentNotFound);
      await expectRefusal(
        s.booking.get(GP, '6f1c7c0e-1111-4a4a-8a8a-000000000000'),
        C.AppointmentNotFound,
      );
    });
  });

  describe('lists', () => {
    it("a patient's upcoming and past appointments, filtered to the caller's organisation", async () => {
      const patient = testNhsNumber();
      identity.add({ nhsNumber: patient });
      const sch = await schedule(TRUST);
      const sl = await slots(sch, TRUST, 30, 6, 60);
      const mine = [];
      for (const x of sl.slice(0, 4))
        mine.push(
          (await s.booking.book(GP, { idempotencyKey: key(), slotId: x.id, nhsNumber: patient }))
            .appointment,
        );
      await s.booking.book(OTHER_TRUST, {
        idempotencyKey: key(),
        slotId: sl[4]!.id,
        nhsNumber: patient,
      });

      const up = await s.booking.listForPatient(GP, {
        nhsNumber: patient,
        period: 'upcoming',
        pageSize: 3,
      });
      expect(up.appointments.map((x) => x.id)).toEqual(mine.slice(0, 3).map((x) => x.id));
      const up2 = await s.booking.listForPatient(GP, {
        nhsNumber: patient,
        period: 'upcoming',
        pageSize: 3,
        pageToken: up.nextPageToken,
      });
      expect(up2.appointments.map((x) => x.id)).toEqual([mine[3]!.id]);
      expect(up2.nextPageToken).toBe('');
      expect(
        (await s.booking.listForPatient(TRUST, { nhsNumber: patient, period: 'upcoming' }))
          .appointments,
      ).toHaveLength(5);
      expect(
        (await s.booking.listForPatient(OTHER_GP, { nhsNumber: patient, period: 'all' }))
          .appointments,
      ).toHaveLength(0);

      const future = new TestClock(at(31, 0));
      const sLater = createServices(db, future, identity.address);
      try {
        const past = await sLater.booking.listForPatient(GP, {
          nhsNumber: patient,
          period: 'past',
        });
        expect(past.appointments.map((x) => x.id)).toEqual([...mine].reverse().map((x) => x.id));
        expect(
          (await sLater.booking.listForPatient(GP, { nhsNumber: patient, period: 'upcoming' }))
            .appointments,
        ).toHaveLength(0);
      } finally {
        sLater.identity.close();
      }
    });

    it("the patient's registered GP practice (from identity) sees all their appointments; a withheld GP does not", async () => {
      const REGISTERED = actor('E81001', 'north-east');
      const patient = testNhsNumber();
      const restricted = testNhsNumber();
      identity.add(
        { nhsNumber: patient, gpOdsCode: REGISTERED.odsCode },
        { nhsNumber: restricted, gpOdsCode: REGISTERED.odsCode, gpWithheld: true },
      );
      const sch = await schedule(TRUST);
      const sl = await slots(sch, TRUST, 40, 4, 60);
      const booked = [];
      for (const [i, x] of sl.slice(0, 3).entries())
        booked.push(
          (
            await s.booking.book(i === 1 ? GP : OTHER_TRUST, {
              idempotencyKey: key(),
              slotId: x.id,
              nhsNumber: patient,
            })
          ).appointment,
        );
      const hidden = (
        await s.booking.book(OTHER_TRUST, {
          idempotencyKey: key(),
          slotId: sl[3]!.id,
          nhsNumber: restricted,
        })
      ).appointment;
      const ctx = { authorization: 'Bearer gp-token' };

      // Neither provider nor booker: sees them all, page by page, and each one by id.
      const p1 = await s.booking.listForPatient(
        REGISTERED,
        { nhsNumber: patient, period: 'upcoming', pageSize: 2 },
        ctx,
      );
      const p2 = await s.booking.listForPatient(
        REGISTERED,
        { nhsNumber: patient, period: 'upcoming', pageSize: 2, pageToken: p1.nextPageToken },
        ctx,
      );
      expect([...p1.appointments, ...p2.appointments].map((x) => x.id)).toEqual(
        booked.map((x) => x.id),
      );
      expect(identity.calls.at(-1)).toEqual({
        nhsNumber: patient,
        authorization: 'Bearer gp-token',
      });
      for (const a of booked) expect((await s.booking.get(REGISTERED, a.id, ctx)).id).toBe(a.id);

      // Another practice, and the booker, still see only what they are party to.
      expect(
        (await s.booking.listForPatient(OTHER_GP, { nhsNumber: patient, period: 'all' }, ctx))
          .appointments,
      ).toHaveLength(0);
      await expectRefusal(s.booking.get(OTHER_GP, booked[0]!.id, ctx), C.AppointmentNotFound);
      expect(
        (
          await s.booking.listForPatient(GP, { nhsNumber: patient, period: 'all' }, ctx)
        ).appointments.map((x) => x.id),
      ).toEqual([booked[1]!.id]);

      // Restricted record, GP registration withheld from this caller: not allowed.
      expect(
        (await s.booking.listForPatient(REGISTERED, { nhsNumber: restricted, period: 'all' }, ctx))
          .appointments,
      ).toHaveLength(0);
      await expectRefusal(s.booking.get(REGISTERED, hidden.id, ctx), C.AppointmentNotFound);

      // Identity refusing the caller means not allowed; identity down is reported, but parties
      // to every appointment on the page are answered without asking identity.
      identity.failWith = status.PERMISSION_DENIED;
      try {
        expect(
          (await s.booking.listForPatient(REGISTERED, { nhsNumber: patient, period: 'all' }, ctx))
            .appointments,
        ).toHaveLength(0);
        identity.failWith = status.UNAVAILABLE;
        await expectRefusal(
          s.booking.listForPatient(REGISTERED, { nhsNumber: patient, period: 'all' }, ctx),
          C.IdentityUnavailable,
        );
        await expectRefusal(s.booking.get(REGISTERED, booked[0]!.id, ctx), C.IdentityUnavailable);
        expect(
          (await s.booking.listForPatient(TRUST, { nhsNumber: patient, period: 'all' }, ctx))
            .appointments,
        ).toHaveLength(3);
      } finally {
        identity.failWith = undefined;
      }
    });

    it("an organisation's day list in start order, cancelled only on request, own organisation only", async () => {
      const owner = actor('RTH09', 'south-east');
      const sch = await schedule(owner);
      const sl = await slots(sch, owner, 12, 5, 20);
      const day = at(12, 0).toISOString().slice(0, 10);
      const booked = [];
      for (const x of [sl[3]!, sl[0]!, sl[2]!])
        booked.push(
          (await s.booking.book(GP, { idempotencyKey: key(), slotId: x.id, nhsNumber: alive }))
            .appointment,
        );
      await s.booking.cancel(owner, booked[2]!.id, 'clinic cancelled');
      const list = await s.booking.dayList(owner, { date: day, includeCancelled: false });
      expect(list.appointments.map((x) => x.slotId)).toEqual([sl[0]!.id, sl[3]!.id]);
      const withCancelled = await s.booking.dayList(owner, { date: day, includeCancelled: true });
      expect(withCancelled.appointments.map((x) => x.slotId)).toEqual([
        sl[0]!.id,
        sl[2]!.id,
        sl[3]!.id,
      ]);
      expect(
        (
          await s.booking.dayList(owner, {
            date: at(13, 0).toISOString().slice(0, 10),
            includeCancelled: true,
          })
        ).appointments,
      ).toHaveLength(0);
      await expectRefusal(
        s.booking.dayList(GP, { odsCode: 'RTH09', date: day, includeCancelled: false }),
        C.NotInvolved,
      );
      await expectRefusal(
        s.booking.dayList(owner, { date: '2026-02-30', includeCancelled: false }),
        C.InvalidArgument,
      );
    });
  });

  describe('identity reactions (handler level; the Kafka path is in identity-events.int-spec.ts)', () => {
    it('PatientDeceased cancels future booked appointments with the reason and frees the slots; a re-run changes nothing', async () => {
      const patient = testNhsNumber();
      identity.add({ nhsNumber: patient });
      const sl = await slots(await schedule(), TRUST, 15, 3);
      const a = [];
      for (const x of sl)
        a.push(
          (await s.booking.book(GP, { idempotencyKey: key(), slotId: x.id, nhsNumber: patient }))
            .appointment,
        );
      const now = clock.now();
      clock.set(a[2]!.startAt); // the patient arrived for the third appointment, then died
      await s.booking.markArrived(TRUST, a[2]!.id);
      clock.set(now);
      const cancelled = await db.prisma.$transaction((tx) =>
        s.booking.onPatientDeceased(tx, patient, clock.now()),
      );
      expect(cancelled.map((x) => x.id).sort()).toEqual([a[0]!.id, a[1]!.id].sort());
      expect(cancelled[0]!.cancellationReason).toMatch(/Patient deceased/);
      expect(await slotStatus(sl[0]!.id)).toBe('free');
      expect(await slotStatus(sl[2]!.id)).toBe('busy');
      const again = await db.prisma.$transaction((tx) =>
        s.booking.onPatientDeceased(tx, patient, clock.now()),
      );
      expect(again).toHaveLength(0);
      expect(await outboxTypes(a[0]!.id)).toEqual(['AppointmentBooked', 'AppointmentCancelled']);
    });

    it('PatientMerged moves the appointments to the surviving number', async () => {
      const old = testNhsNumber();
      const keep = testNhsNumber();
      identity.add({ nhsNumber: old }, { nhsNumber: keep });
      const sl = await slots(await schedule(), TRUST, 16, 2);
      for (const x of sl)
        await s.booking.book(GP, { idempotencyKey: key(), slotId: x.id, nhsNumber: old });
      const moved = await db.prisma.$transaction((tx) => s.booking.onPatientMerged(tx, old, keep));
      expect(moved).toBe(2);
      expect(
        (await s.booking.listForPatient(GP, { nhsNumber: keep, period: 'upcoming' })).appointments,
      ).toHaveLength(2);
      expect(
        (await s.booking.listForPatient(GP, { nhsNumber: old, period: 'upcoming' })).appointments,
      ).toHaveLength(0);
    });
  });
});
