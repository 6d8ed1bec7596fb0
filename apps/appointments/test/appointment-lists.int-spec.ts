import { status } from '@grpc/grpc-js';

import { AppointmentsErrorCode as C } from '../src/app/domain/appointments.errors';
import { expectRefusal } from './support/expect-error';
import { createServices } from './support/services';
import { at, testNhsNumber, actor, TestClock } from './support/harness';
import { TRUST, OTHER_TRUST, GP, OTHER_GP, useBookingSuite } from './support/booking-suite';

describe('appointments (real PostgreSQL, identity over gRPC)', () => {
  const t = useBookingSuite();
  const { alive, schedule, slots, key, outboxTypes, slotStatus } = t;

  describe('lists', () => {
    it("a patient's upcoming and past appointments, filtered to the caller's organisation", async () => {
      const patient = testNhsNumber();
      t.identity.add({ nhsNumber: patient });
      const sch = await schedule(TRUST);
      const sl = await slots(sch, TRUST, 30, 6, 60);
      const mine = [];
      for (const x of sl.slice(0, 4))
        mine.push(
          (await t.s.booking.book(GP, { idempotencyKey: key(), slotId: x.id, nhsNumber: patient }))
            .appointment,
        );
      await t.s.booking.book(OTHER_TRUST, {
        idempotencyKey: key(),
        slotId: sl[4]!.id,
        nhsNumber: patient,
      });

      const up = await t.s.booking.listForPatient(GP, {
        nhsNumber: patient,
        period: 'upcoming',
        pageSize: 3,
      });
      expect(up.appointments.map((x) => x.id)).toEqual(mine.slice(0, 3).map((x) => x.id));
      const up2 = await t.s.booking.listForPatient(GP, {
        nhsNumber: patient,
        period: 'upcoming',
        pageSize: 3,
        pageToken: up.nextPageToken,
      });
      expect(up2.appointments.map((x) => x.id)).toEqual([mine[3]!.id]);
      expect(up2.nextPageToken).toBe('');
      expect(
        (await t.s.booking.listForPatient(TRUST, { nhsNumber: patient, period: 'upcoming' }))
          .appointments,
      ).toHaveLength(5);
      expect(
        (await t.s.booking.listForPatient(OTHER_GP, { nhsNumber: patient, period: 'all' }))
          .appointments,
      ).toHaveLength(0);

      const future = new TestClock(at(31, 0));
      const sLater = createServices(t.db, future, t.identity.address);
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
      t.identity.add(
        { nhsNumber: patient, gpOdsCode: REGISTERED.odsCode },
        { nhsNumber: restricted, gpOdsCode: REGISTERED.odsCode, gpWithheld: true },
      );
      const sch = await schedule(TRUST);
      const sl = await slots(sch, TRUST, 40, 4, 60);
      const booked = [];
      for (const [i, x] of sl.slice(0, 3).entries())
        booked.push(
          (
            await t.s.booking.book(i === 1 ? GP : OTHER_TRUST, {
              idempotencyKey: key(),
              slotId: x.id,
              nhsNumber: patient,
            })
          ).appointment,
        );
      const hidden = (
        await t.s.booking.book(OTHER_TRUST, {
          idempotencyKey: key(),
          slotId: sl[3]!.id,
          nhsNumber: restricted,
        })
      ).appointment;
      const ctx = { authorization: 'Bearer gp-token' };

      // Neither provider nor booker: sees them all, page by page, and each one by id.
      const p1 = await t.s.booking.listForPatient(
        REGISTERED,
        { nhsNumber: patient, period: 'upcoming', pageSize: 2 },
        ctx,
      );
      const p2 = await t.s.booking.listForPatient(
        REGISTERED,
        { nhsNumber: patient, period: 'upcoming', pageSize: 2, pageToken: p1.nextPageToken },
        ctx,
      );
      expect([...p1.appointments, ...p2.appointments].map((x) => x.id)).toEqual(
        booked.map((x) => x.id),
      );
      expect(t.identity.calls.at(-1)).toEqual({
        nhsNumber: patient,
        authorization: 'Bearer gp-token',
      });
      for (const a of booked) expect((await t.s.booking.get(REGISTERED, a.id, ctx)).id).toBe(a.id);

      // Another practice, and the booker, still see only what they are party to.
      expect(
        (await t.s.booking.listForPatient(OTHER_GP, { nhsNumber: patient, period: 'all' }, ctx))
          .appointments,
      ).toHaveLength(0);
      await expectRefusal(t.s.booking.get(OTHER_GP, booked[0]!.id, ctx), C.AppointmentNotFound);
      expect(
        (
          await t.s.booking.listForPatient(GP, { nhsNumber: patient, period: 'all' }, ctx)
        ).appointments.map((x) => x.id),
      ).toEqual([booked[1]!.id]);

      // Restricted record, GP registration withheld from this caller: not allowed.
      expect(
        (
          await t.s.booking.listForPatient(
            REGISTERED,
            { nhsNumber: restricted, period: 'all' },
            ctx,
          )
        ).appointments,
      ).toHaveLength(0);
      await expectRefusal(t.s.booking.get(REGISTERED, hidden.id, ctx), C.AppointmentNotFound);

      // Identity refusing the caller means not allowed; identity down is reported, but parties
      // to every appointment on the page are answered without asking identity.
      t.identity.failWith = status.PERMISSION_DENIED;
      try {
        expect(
          (await t.s.booking.listForPatient(REGISTERED, { nhsNumber: patient, period: 'all' }, ctx))
            .appointments,
        ).toHaveLength(0);
        t.identity.failWith = status.UNAVAILABLE;
        await expectRefusal(
          t.s.booking.listForPatient(REGISTERED, { nhsNumber: patient, period: 'all' }, ctx),
          C.IdentityUnavailable,
        );
        await expectRefusal(t.s.booking.get(REGISTERED, booked[0]!.id, ctx), C.IdentityUnavailable);
        expect(
          (await t.s.booking.listForPatient(TRUST, { nhsNumber: patient, period: 'all' }, ctx))
            .appointments,
        ).toHaveLength(3);
      } finally {
        t.identity.failWith = undefined;
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
          (await t.s.booking.book(GP, { idempotencyKey: key(), slotId: x.id, nhsNumber: alive }))
            .appointment,
        );
      await t.s.booking.cancel(owner, booked[2]!.id, 'clinic cancelled');
      const list = await t.s.booking.dayList(owner, { date: day, includeCancelled: false });
      expect(list.appointments.map((x) => x.slotId)).toEqual([sl[0]!.id, sl[3]!.id]);
      const withCancelled = await t.s.booking.dayList(owner, { date: day, includeCancelled: true });
      expect(withCancelled.appointments.map((x) => x.slotId)).toEqual([
        sl[0]!.id,
        sl[2]!.id,
        sl[3]!.id,
      ]);
      expect(
        (
          await t.s.booking.dayList(owner, {
            date: at(13, 0).toISOString().slice(0, 10),
            includeCancelled: true,
          })
        ).appointments,
      ).toHaveLength(0);
      await expectRefusal(
        t.s.booking.dayList(GP, { odsCode: 'RTH09', date: day, includeCancelled: false }),
        C.NotInvolved,
      );
      await expectRefusal(
        t.s.booking.dayList(owner, { date: '2026-02-30', includeCancelled: false }),
        C.InvalidArgument,
      );
    });
  });

  describe('identity reactions (handler level; the Kafka path is in identity-events.int-spec.ts)', () => {
    it('PatientDeceased cancels future booked appointments with the reason and frees the slots; a re-run changes nothing', async () => {
      const patient = testNhsNumber();
      t.identity.add({ nhsNumber: patient });
      const sl = await slots(await schedule(), TRUST, 15, 3);
      const a = [];
      for (const x of sl)
        a.push(
          (await t.s.booking.book(GP, { idempotencyKey: key(), slotId: x.id, nhsNumber: patient }))
            .appointment,
        );
      const now = t.clock.now();
      t.clock.set(a[2]!.startAt); // the patient arrived for the third appointment, then died
      await t.s.booking.markArrived(TRUST, a[2]!.id);
      t.clock.set(now);
      const cancelled = await t.db.prisma.$transaction((tx) =>
        t.s.booking.onPatientDeceased(tx, patient, t.clock.now()),
      );
      expect(cancelled.map((x) => x.id).sort()).toEqual([a[0]!.id, a[1]!.id].sort());
      expect(cancelled[0]!.cancellationReason).toMatch(/Patient deceased/);
      expect(await slotStatus(sl[0]!.id)).toBe('free');
      expect(await slotStatus(sl[2]!.id)).toBe('busy');
      const again = await t.db.prisma.$transaction((tx) =>
        t.s.booking.onPatientDeceased(tx, patient, t.clock.now()),
      );
      expect(again).toHaveLength(0);
      expect(await outboxTypes(a[0]!.id)).toEqual(['AppointmentBooked', 'AppointmentCancelled']);
    });

    it('PatientMerged moves the appointments to the surviving number', async () => {
      const old = testNhsNumber();
      const keep = testNhsNumber();
      t.identity.add({ nhsNumber: old }, { nhsNumber: keep });
      const sl = await slots(await schedule(), TRUST, 16, 2);
      for (const x of sl)
        await t.s.booking.book(GP, { idempotencyKey: key(), slotId: x.id, nhsNumber: old });
      const moved = await t.db.prisma.$transaction((tx) =>
        t.s.booking.onPatientMerged(tx, old, keep),
      );
      expect(moved).toBe(2);
      expect(
        (await t.s.booking.listForPatient(GP, { nhsNumber: keep, period: 'upcoming' }))
          .appointments,
      ).toHaveLength(2);
      expect(
        (await t.s.booking.listForPatient(GP, { nhsNumber: old, period: 'upcoming' })).appointments,
      ).toHaveLength(0);
    });
  });
});
