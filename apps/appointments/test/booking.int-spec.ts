import { events } from '@trellis/contracts';

import { AppointmentsErrorCode as C } from '../src/app/domain/appointments.errors';
import type { ScheduleRow, SlotRow } from '../src/app/prisma';
import { expectRefusal } from './support/expect-error';
import { createServices } from './support/services';
import { at, TestClock } from './support/harness';
import {
  TRUST,
  OTHER_TRUST,
  GP,
  OTHER_GP,
  PHARMACY,
  useBookingSuite,
} from './support/booking-suite';

describe('appointments (real PostgreSQL, identity over gRPC)', () => {
  const t = useBookingSuite();
  const {
    alive,
    alive2,
    dead,
    merged,
    survivor,
    unknown,
    schedule,
    slots,
    key,
    outboxTypes,
    slotStatus,
  } = t;

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
      const { appointment, replayed } = await t.s.booking.book(
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
      expect(t.identity.calls.at(-1)).toEqual({
        nhsNumber: alive,
        authorization: 'Bearer token-x',
      });

      const rows = await t.db.sql.query('SELECT * FROM outbox_events WHERE ce_subject = $1', [
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
      const again = await t.s.booking.book(GP, {
        idempotencyKey: k,
        slotId: slot.id,
        nhsNumber: alive,
        referralId: 'ref-123',
      });
      expect(again).toMatchObject({ replayed: true, appointment: { id: appointment.id } });
      expect(await outboxTypes(appointment.id)).toEqual(['AppointmentBooked']);

      // same key, different request → refused
      const reused = await expectRefusal(
        t.s.booking.book(GP, { idempotencyKey: k, slotId: free[1]!.id, nhsNumber: alive }),
        C.IdempotencyKeyReused,
      );
      expect(reused.kind).toBe('ALREADY_EXISTS');
      expect(await slotStatus(free[1]!.id)).toBe('free');
    });

    it('refuses a second booking of the same slot with a conflict naming the slot', async () => {
      const slot = free[2]!;
      await t.s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: alive });
      const err = await expectRefusal(
        t.s.booking.book(OTHER_TRUST, {
          idempotencyKey: key(),
          slotId: slot.id,
          nhsNumber: alive2,
        }),
        C.SlotNotFree,
      );
      expect(err.kind).toBe('ABORTED');
      expect(err.metadata['slotId']).toBe(slot.id);
      expect(err.message).toContain(slot.id);
    });

    it('applies who-may-book: named ODS codes and organisation types pass, others are refused', async () => {
      await expect(
        t.s.booking.book(OTHER_TRUST, {
          idempotencyKey: key(),
          slotId: free[3]!.id,
          nhsNumber: alive,
        }),
      ).resolves.toBeDefined(); // type nhs-trust
      await expectRefusal(
        t.s.booking.book(OTHER_GP, {
          idempotencyKey: key(),
          slotId: free[4]!.id,
          nhsNumber: alive,
        }),
        C.NotAllowedToBook,
      );
      await expectRefusal(
        t.s.booking.book(PHARMACY, {
          idempotencyKey: key(),
          slotId: free[4]!.id,
          nhsNumber: alive,
        }),
        C.NotAllowedToBook,
      );
      expect(await slotStatus(free[4]!.id)).toBe('free');
    });

    it('refuses unknown, deceased and merged patients, and says when identity is down', async () => {
      const slot = free[5]!;
      await expectRefusal(
        t.s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: unknown }),
        C.PatientNotFound,
      );
      await expectRefusal(
        t.s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: dead }),
        C.PatientDeceased,
      );
      const m = await expectRefusal(
        t.s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: merged }),
        C.PatientMerged,
      );
      expect(m.metadata['survivorNhsNumber']).toBe(survivor);
      t.identity.failWith = 7; // PERMISSION_DENIED: the caller's token may not read the patient
      try {
        await expectRefusal(
          t.s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: alive }),
          C.PatientLookupDenied,
        );
      } finally {
        t.identity.failWith = undefined;
      }
      t.identity.failWith = 14; // UNAVAILABLE
      try {
        await expectRefusal(
          t.s.booking.book(GP, { idempotencyKey: key(), slotId: slot.id, nhsNumber: alive }),
          C.IdentityUnavailable,
        );
      } finally {
        t.identity.failWith = undefined;
      }
      expect(await slotStatus(slot.id)).toBe('free');
    });

    it('refuses unknown and started slots and malformed requests', async () => {
      await expectRefusal(
        t.s.booking.book(GP, {
          idempotencyKey: key(),
          slotId: '6f1c7c0e-1111-4a4a-8a8a-000000000000',
          nhsNumber: alive,
        }),
        C.SlotNotFound,
      );
      const bad = await expectRefusal(
        t.s.booking.book(GP, { idempotencyKey: 'x', slotId: 'nope', nhsNumber: '1234567890' }),
        C.InvalidArgument,
      );
      expect(bad.violations.map((v) => v.field)).toEqual([
        'idempotency_key',
        'slot_id',
        'nhs_number',
      ]);
      const later = new TestClock(at(2, 12));
      const sLater = createServices(t.db, later, t.identity.address);
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
        return t.s.booking
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
      const perSlot = await t.db.sql.query<{ slot_id: string; n: number }>(
        "SELECT slot_id::text, count(*)::int AS n FROM appointments WHERE slot_id = ANY($1::uuid[]) AND status <> 'cancelled' GROUP BY slot_id",
        [ids],
      );
      expect(perSlot.rows).toHaveLength(20);
      expect(perSlot.rows.every((r) => r.n === 1)).toBe(true);
      const busy = await t.db.sql.query(
        "SELECT count(*)::int AS n FROM slots WHERE id = ANY($1::uuid[]) AND status = 'busy'",
        [ids],
      );
      expect(busy.rows[0].n).toBe(20);
      const booked = await t.db.sql.query(
        "SELECT count(*)::int AS n FROM outbox_events o JOIN appointments a ON a.id::text = o.ce_subject WHERE a.slot_id = ANY($1::uuid[]) AND o.ce_type LIKE '%AppointmentBooked%'",
        [ids],
      );
      expect(booked.rows[0].n).toBe(20);
    });

    it('the database itself refuses a second live appointment on a slot', async () => {
      const slot = free[7]!;
      const { appointment } = await t.s.booking.book(GP, {
        idempotencyKey: key(),
        slotId: slot.id,
        nhsNumber: alive,
      });
      await expect(
        t.db.sql.query(
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
        await t.s.booking.book(by, { idempotencyKey: key(), slotId: next().id, nhsNumber: alive })
      ).appointment;
    }

    it('cancel: needs a reason, frees the slot (bookable again), emits AppointmentCancelled; cancelling twice names the state', async () => {
      const a = await booked();
      await expectRefusal(t.s.booking.cancel(GP, a.id, ''), C.InvalidArgument);
      const c = await t.s.booking.cancel(GP, a.id, 'Patient asked to cancel');
      expect(c).toMatchObject({
        status: 'cancelled',
        cancellationReason: 'Patient asked to cancel',
        version: 2,
      });
      expect(await slotStatus(a.slotId)).toBe('free');
      const rebook = await t.s.booking.book(GP, {
        idempotencyKey: key(),
        slotId: a.slotId,
        nhsNumber: alive2,
      });
      expect(rebook.appointment.slotId).toBe(a.slotId);
      const twice = await expectRefusal(t.s.booking.cancel(GP, a.id, 'again'), C.IllegalTransition);
      expect(twice.metadata['currentState']).toBe('cancelled');
      expect(twice.message).toContain("'cancelled'");
      expect(await outboxTypes(a.id)).toEqual(['AppointmentBooked', 'AppointmentCancelled']);
      const row = await t.db.sql.query(
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
      const moved = await t.s.booking.reschedule(GP, a.id, target.id, 'clinic moved');
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
        t.s.booking.reschedule(GP, a.id, other.slotId, 'x'),
        C.SlotNotFree,
      );
      expect(err.metadata['slotId']).toBe(other.slotId);
      expect((await t.s.booking.get(GP, a.id)).slotId).toBe(target.id);
      expect(await slotStatus(target.id)).toBe('busy');

      const elsewhere = await slots(await schedule(OTHER_TRUST), OTHER_TRUST, 4, 1);
      await expectRefusal(
        t.s.booking.reschedule(GP, a.id, elsewhere[0]!.id, 'x'),
        C.InvalidArgument,
      );
      await expectRefusal(t.s.booking.reschedule(GP, a.id, target.id, 'x'), C.InvalidArgument);
      await expectRefusal(
        t.s.booking.reschedule(GP, a.id, '6f1c7c0e-1111-4a4a-8a8a-000000000000', 'x'),
        C.SlotNotFound,
      );
      await expectRefusal(
        t.s.booking.reschedule(OTHER_GP, a.id, next().id, 'x'),
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
      await expectRefusal(t.s.booking.reschedule(GP, a.id, closed[0]!.id, 'x'), C.NotAllowedToBook);
      expect((await t.s.booking.get(GP, a.id)).slotId).toBe(target.id);
    });

    it('arrived then fulfilled (provider only), each emitting AppointmentAttended; illegal steps name the state', async () => {
      const a = await booked();
      const fulfilEarly = await expectRefusal(
        t.s.booking.markFulfilled(TRUST, a.id),
        C.IllegalTransition,
      );
      expect(fulfilEarly.metadata['currentState']).toBe('booked');
      await expectRefusal(t.s.booking.markArrived(GP, a.id), C.NotInvolved);
      // days before the slot the arrival is refused; at the slot it is recorded
      const early = await expectRefusal(t.s.booking.markArrived(TRUST, a.id), C.TooEarly);
      expect(early.violations).toEqual([
        expect.objectContaining({ field: 'appointment_id', rule: 'arrival.too-early' }),
      ]);
      const now = t.clock.now();
      t.clock.set(a.startAt);
      expect((await t.s.booking.markArrived(TRUST, a.id)).status).toBe('arrived');
      t.clock.set(now);
      await expectRefusal(t.s.booking.cancel(GP, a.id, 'late'), C.IllegalTransition);
      await expectRefusal(t.s.booking.reschedule(GP, a.id, next().id, 'x'), C.IllegalTransition);
      const f = await t.s.booking.markFulfilled(TRUST, a.id);
      expect(f).toMatchObject({ status: 'fulfilled', version: 3 });
      const noshow = await expectRefusal(t.s.booking.markNoShow(TRUST, a.id), C.IllegalTransition);
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
      await expectRefusal(t.s.booking.markNoShow(TRUST, a.id), C.TooEarly);
      const later = new TestClock(new Date(a.startAt.getTime() + 10 * 60_000));
      const sLater = createServices(t.db, later, t.identity.address);
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
      expect((await t.s.booking.get(GP, a.id)).id).toBe(a.id);
      expect((await t.s.booking.get(TRUST, a.id)).id).toBe(a.id);
      await expectRefusal(t.s.booking.get(OTHER_GP, a.id), C.AppointmentNotFound);
      await expectRefusal(t.s.booking.cancel(OTHER_GP, a.id, 'x'), C.AppointmentNotFound);
      await expectRefusal(
        t.s.booking.get(GP, '6f1c7c0e-1111-4a4a-8a8a-000000000000'),
        C.AppointmentNotFound,
      );
    });
  });
});
