import { AppointmentsErrorCode as C } from '../src/app/domain/appointments.errors';
import type { SlotRow } from '../src/app/prisma';
import { expectRefusal } from './support/expect-error';
import { at, actor } from './support/harness';
import { TRUST, OTHER_TRUST, GP, useBookingSuite } from './support/booking-suite';

describe('appointments (real PostgreSQL, identity over gRPC)', () => {
  const t = useBookingSuite();
  const { alive, schedule, slots, key } = t;

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
      expect((await t.s.scheduling.getSchedule(sch.id)).id).toBe(sch.id);
    });

    it('refuses a schedule for another organisation, and reports every invalid field at once', async () => {
      await expectRefusal(schedule(TRUST, { odsCode: 'RXA' }), C.NotScheduleOwner);
      const err = await expectRefusal(
        t.s.scheduling.createSchedule(TRUST, {
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
        t.s.scheduling.getSchedule('6f1c7c0e-1111-4a4a-8a8a-000000000000'),
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
      const unavailable = await t.s.scheduling.publishSlots(TRUST, sch.id, [
        { start: at(5, 9), end: at(5, 10), status: 'busy_unavailable' },
      ]);
      expect(unavailable[0]!.status).toBe('busy_unavailable');
    });

    it('refuses overlapping slots: within the request with paths, against stored slots naming the clash (database constraint)', async () => {
      const sch = await schedule();
      const [first] = await slots(sch, TRUST, 3, 4);
      const inBatch = await expectRefusal(
        t.s.scheduling.publishSlots(TRUST, sch.id, [
          { start: at(6, 9), end: at(6, 10) },
          { start: at(6, 9, 30), end: at(6, 10, 30) },
        ]),
        C.InvalidArgument,
      );
      expect(inBatch.violations[0]).toMatchObject({ field: 'slots[1]', rule: 'slot-overlap' });
      const existing = await expectRefusal(
        t.s.scheduling.publishSlots(TRUST, sch.id, [
          { start: at(7, 9), end: at(7, 9, 15) },
          { start: at(3, 9, 5), end: at(3, 9, 20) },
        ]),
        C.SlotOverlap,
      );
      expect(existing.metadata).toMatchObject({ conflictingSlotId: first!.id, index: '1' });
      // all or nothing: the first, valid slot of the refused batch was not stored
      const r = await t.db.sql.query(
        'SELECT count(*)::int AS n FROM slots WHERE schedule_id = $1',
        [sch.id],
      );
      expect(r.rows[0].n).toBe(4);
      // another schedule may use the same times
      await expect(slots(await schedule(), TRUST, 3, 4)).resolves.toHaveLength(4);
    });

    it('refuses slots in the past, reversed, or marked busy', async () => {
      const sch = await schedule();
      const err = await expectRefusal(
        t.s.scheduling.publishSlots(TRUST, sch.id, [
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
        const page = await t.s.scheduling.searchFreeSlots({
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

      const byOrg = await t.s.scheduling.searchFreeSlots({
        serviceType: service,
        odsCode: 'RXA',
        from,
        to,
        pageSize: 100,
      });
      expect(byOrg.slots).toHaveLength(12);
      const byRegion = await t.s.scheduling.searchFreeSlots({
        serviceType: service,
        region: 'south-east',
        from,
        to,
        pageSize: 100,
      });
      expect(byRegion.slots.every((x) => x.odsCode === 'RTH')).toBe(true);

      // a booked slot is no longer free
      const { appointment } = await t.s.booking.book(GP, {
        idempotencyKey: key(),
        slotId: all[0]!.id,
        nhsNumber: alive,
      });
      const after = await t.s.scheduling.searchFreeSlots({
        serviceType: service,
        from,
        to,
        pageSize: 100,
      });
      expect(after.slots.map((x) => x.id)).not.toContain(appointment.slotId);

      const page1 = await t.s.scheduling.searchFreeSlots({
        serviceType: service,
        from,
        to,
        pageSize: 5,
      });
      await expectRefusal(
        t.s.scheduling.searchFreeSlots({
          serviceType: 'other',
          from,
          to,
          pageSize: 5,
          pageToken: page1.nextPageToken,
        }),
        C.InvalidArgument,
      );
      const bad = await expectRefusal(
        t.s.scheduling.searchFreeSlots({ from: to, to: from, pageSize: 501 }),
        C.InvalidArgument,
      );
      expect(bad.violations.map((v) => v.field).sort()).toEqual([
        'page.page_size',
        'service_type',
        'start_to',
      ]);
    });
  });
});
