import { status } from '@grpc/grpc-js';
import { scopeMatrix } from '@trellis/auth/testing';
import { events } from '@trellis/contracts';
import { readTopic } from '@trellis/testing';

import { APPOINTMENTS_SCOPES } from '../src/app/access/scopes';
import { at, testNhsNumber } from './support/harness';
import { ts } from './support/grpc-client';
import { startService, type ServiceUnderTest } from './support/service-under-test';

const ALL = ['system/Schedule.cr', 'system/Slot.cs', 'system/Appointment.cruds'];

describe('appointments over gRPC (platform bootstrap, auth guard, audit, real PostgreSQL)', () => {
  let svc: ServiceUnderTest;
  let trust: string;
  let gp: string;
  let stranger: string;
  const patient = testNhsNumber();

  beforeAll(async () => {
    svc = await startService();
    svc.identity.add({ nhsNumber: patient });
    trust = await svc.authority.issue({
      scopes: ALL,
      systemId: 'trust-epr',
      odsCode: 'RTH',
      region: 'south-east',
    });
    gp = await svc.authority.issue({
      scopes: ALL,
      systemId: 'gp-system',
      odsCode: 'A81001',
      region: 'north-east',
    });
    stranger = await svc.authority.issue({
      scopes: ALL,
      systemId: 'other-gp',
      odsCode: 'B82001',
      region: 'london',
    });
  });

  afterAll(async () => {
    await svc?.stop();
  });

  it('refuses every method without a token (UNAUTHENTICATED) and without its scope (PERMISSION_DENIED)', async () => {
    const rows = scopeMatrix(APPOINTMENTS_SCOPES);
    expect(rows).toHaveLength(18);
    for (const row of rows) {
      const path = row.key.replace('/trellis.appointments.v1.', '');
      const method = svc.client.method(row.key);
      if (!method) throw new Error(`the scope matrix names ${row.key}, no such method`);
      expect([path, (await svc.client.fail(method(svc.client.as()))).code]).toEqual([
        path,
        status.UNAUTHENTICATED,
      ]);
      const lacking = await svc.authority.issue({
        scopes: row.lackingScopes,
        odsCode: 'RTH',
        region: 'south-east',
      });
      expect([path, (await svc.client.fail(method(svc.client.as(lacking)))).code]).toEqual([
        path,
        status.PERMISSION_DENIED,
      ]);
    }
  });

  it('runs the whole booking journey over gRPC with precise errors', async () => {
    const c = svc.client;
    const { schedule } = await c.schedule.createSchedule(
      { serviceType: 'rheumatology', bookableByOdsCodes: ['A81001'] },
      c.as(trust),
    );
    expect(schedule!.odsCode).toBe('RTH');
    const times = [0, 1, 2, 3, 4].map((i) => at(5, 9 + i));
    const { slots } = await c.schedule.publishSlots(
      {
        scheduleId: schedule!.id,
        slots: times.map((t) => ({ start: ts(t), end: ts(new Date(t.getTime() + 30 * 60_000)) })),
      },
      c.as(trust),
    );
    expect(slots).toHaveLength(5);
    const overlap = await c.fail(
      c.schedule.publishSlots(
        { scheduleId: schedule!.id, slots: [{ start: ts(times[0]!), end: ts(times[1]!) }] },
        c.as(trust),
      ),
    );
    expect(overlap).toMatchObject({
      code: status.ALREADY_EXISTS,
      reason: 'SLOT_OVERLAP',
      domain: 'trellis.appointments',
    });
    expect(
      (
        await c.fail(
          c.schedule.publishSlots(
            { scheduleId: schedule!.id, slots: [{ start: ts(at(9, 9)), end: ts(at(9, 10)) }] },
            c.as(gp),
          ),
        )
      ).reason,
    ).toBe('NOT_SCHEDULE_OWNER');

    const page1 = await c.schedule.searchFreeSlots(
      {
        serviceType: 'rheumatology',
        odsCode: 'RTH',
        startFrom: ts(at(5, 0)),
        startTo: ts(at(6, 0)),
        page: { pageSize: 3 },
      },
      c.as(gp),
    );
    expect(page1.slots.map((s) => s.id)).toEqual(slots.slice(0, 3).map((s) => s.id));
    const page2 = await c.schedule.searchFreeSlots(
      {
        serviceType: 'rheumatology',
        odsCode: 'RTH',
        startFrom: ts(at(5, 0)),
        startTo: ts(at(6, 0)),
        page: { pageSize: 3, pageToken: page1.page!.nextPageToken },
      },
      c.as(gp),
    );
    expect(page2.slots.map((s) => s.id)).toEqual(slots.slice(3).map((s) => s.id));
    expect(page2.page!.nextPageToken).toBe('');

    const book = {
      idempotencyKey: 'grpc-journey-0001',
      slotId: slots[0]!.id,
      nhsNumber: patient,
      referralId: 'RF-0001',
    };
    const booked = await c.appointment.bookAppointment(book, c.as(gp));
    expect(booked.replayed).toBe(false);
    expect(booked.appointment).toMatchObject({
      status: 1,
      nhsNumber: patient,
      referralId: 'RF-0001',
      slotId: slots[0]!.id,
    });
    expect(svc.identity.calls.at(-1)!.authorization).toBe(`Bearer ${gp}`);
    const replay = await c.appointment.bookAppointment(book, c.as(gp));
    expect(replay).toMatchObject({ replayed: true, appointment: { id: booked.appointment!.id } });
    const reused = await c.fail(
      c.appointment.bookAppointment({ ...book, slotId: slots[1]!.id }, c.as(gp)),
    );
    expect(reused).toMatchObject({ code: status.ALREADY_EXISTS, reason: 'IDEMPOTENCY_KEY_REUSED' });
    const conflict = await c.fail(
      c.appointment.bookAppointment({ ...book, idempotencyKey: 'grpc-journey-0002' }, c.as(trust)),
    );
    expect(conflict).toMatchObject({ code: status.ABORTED, reason: 'SLOT_NOT_FREE' });
    expect(conflict.message).toContain(slots[0]!.id);
    const invalid = await c.fail(
      c.appointment.bookAppointment(
        { idempotencyKey: 'k', slotId: 'x', nhsNumber: '123' },
        c.as(gp),
      ),
    );
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    expect(invalid.fieldViolations.map((v) => v.field)).toEqual([
      'idempotency_key',
      'slot_id',
      'nhs_number',
    ]);
    expect(
      (
        await c.fail(
          c.appointment.bookAppointment(
            { ...book, idempotencyKey: 'grpc-journey-0003', slotId: slots[1]!.id },
            c.as(stranger),
          ),
        )
      ).reason,
    ).toBe('NOT_ALLOWED_TO_BOOK');
    const unknownPatient = await c.fail(
      c.appointment.bookAppointment(
        {
          ...book,
          idempotencyKey: 'grpc-journey-0004',
          slotId: slots[1]!.id,
          nhsNumber: testNhsNumber(),
        },
        c.as(gp),
      ),
    );
    expect(unknownPatient).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'PATIENT_NOT_FOUND',
    });

    const id = booked.appointment!.id;
    expect(
      (await c.fail(c.appointment.getAppointment({ appointmentId: id }, c.as(stranger)))).code,
    ).toBe(status.NOT_FOUND);
    expect(
      (await c.appointment.getAppointment({ appointmentId: id }, c.as(trust))).appointment?.id,
    ).toBe(id);

    const moved = await c.appointment.rescheduleAppointment(
      { appointmentId: id, newSlotId: slots[2]!.id, reason: 'patient request' },
      c.as(gp),
    );
    expect(moved).toMatchObject({
      previousSlotId: slots[0]!.id,
      appointment: { slotId: slots[2]!.id, status: 1 },
    });
    // days before the slot an arrival is refused (FAILED_PRECONDITION naming the window) ...
    const early = await c.fail(c.appointment.markArrived({ appointmentId: id }, c.as(trust)));
    expect(early).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'TOO_EARLY' });
    // ... and recorded once the patient turns up for it (slots[2] starts at times[2])
    svc.clock.set(times[2]!);
    expect(
      (await c.appointment.markArrived({ appointmentId: id }, c.as(trust))).appointment?.status,
    ).toBe(2);
    svc.clock.set(new Date());
    const illegal = await c.fail(
      c.appointment.cancelAppointment({ appointmentId: id, reason: 'x' }, c.as(gp)),
    );
    expect(illegal).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'ILLEGAL_TRANSITION',
    });
    expect(illegal.message).toContain("'arrived'");
    expect(
      (await c.appointment.markFulfilled({ appointmentId: id }, c.as(trust))).appointment?.status,
    ).toBe(3);

    const second = await c.appointment.bookAppointment(
      { ...book, idempotencyKey: 'grpc-journey-0005', slotId: slots[3]!.id, referralId: '' },
      c.as(gp),
    );
    const cancelled = await c.appointment.cancelAppointment(
      { appointmentId: second.appointment!.id, reason: 'no longer needed' },
      c.as(gp),
    );
    expect(cancelled.appointment).toMatchObject({
      status: 4,
      cancellationReason: 'no longer needed',
    });

    const third = await c.appointment.bookAppointment(
      { ...book, idempotencyKey: 'grpc-journey-0006', slotId: slots[4]!.id },
      c.as(gp),
    );
    expect(
      (
        await c.fail(
          c.appointment.markNoShow({ appointmentId: third.appointment!.id }, c.as(trust)),
        )
      ).reason,
    ).toBe('TOO_EARLY');
    svc.clock.set(new Date(times[4]!.getTime() + 15 * 60_000));
    try {
      expect(
        (await c.appointment.markNoShow({ appointmentId: third.appointment!.id }, c.as(trust)))
          .appointment?.status,
      ).toBe(5);
      const past = await c.appointment.listPatientAppointments(
        { nhsNumber: patient, period: 2 },
        c.as(gp),
      );
      expect(past.appointments.map((a) => a.id)).toEqual([
        third.appointment!.id,
        second.appointment!.id,
        id,
      ]);
    } finally {
      svc.clock.set(new Date());
    }
    const upcoming = await c.appointment.listPatientAppointments(
      { nhsNumber: patient, period: 1 },
      c.as(gp),
    );
    expect(upcoming.appointments).toHaveLength(3);
    expect(
      (await c.appointment.listPatientAppointments({ nhsNumber: patient }, c.as(stranger)))
        .appointments,
    ).toHaveLength(0);
    const day = await c.appointment.getOrganisationDayList(
      { date: at(5, 0).toISOString().slice(0, 10) },
      c.as(trust),
    );
    expect(day.appointments.map((a) => a.id)).toEqual([id, third.appointment!.id]);
    expect(
      (
        await c.fail(
          c.appointment.getOrganisationDayList({ odsCode: 'RTH', date: '2030-01-01' }, c.as(gp)),
        )
      ).code,
    ).toBe(status.PERMISSION_DENIED);

    // every patient-data call, allowed or denied, was audited through the outbox
    const audit = await svc.db.sql.query<{ key: string | null; n: number }>(
      "SELECT key, count(*)::int AS n FROM outbox_events WHERE topic = 'trellis.audit.access.v1' GROUP BY key",
    );
    const byKey = new Map(audit.rows.map((r) => [r.key, r.n]));
    expect(byKey.get(patient)).toBeGreaterThanOrEqual(15);
    const others = await svc.db.sql.query<{ payload: Buffer }>(
      "SELECT payload FROM outbox_events WHERE topic = 'trellis.audit.access.v1' AND key <> $1",
      [patient],
    );
    const outcomes = others.rows.map((r) => events.v1.AccessRecorded.decode(r.payload).outcome);
    expect(outcomes.filter((o) => o === '4').length).toBeGreaterThanOrEqual(18); // the 9 patient-data methods, refused twice each in the first test

    // the relay published the appointment events to Kafka, keyed by NHS number, with ODS code and region
    const received = await readTopic(svc.bus, 'trellis.appointments.appointment.v1', {
      groupPrefix: 'appointments-int-read',
      match: (key) => key === patient,
      count: 8,
    });
    const types = received.map((m) => m.headers['ce_type']);
    expect(types).toEqual([
      'uk.nhs.trellis.appointments.AppointmentBooked.v1',
      'uk.nhs.trellis.appointments.AppointmentRescheduled.v1',
      'uk.nhs.trellis.appointments.AppointmentAttended.v1',
      'uk.nhs.trellis.appointments.AppointmentAttended.v1',
      'uk.nhs.trellis.appointments.AppointmentBooked.v1',
      'uk.nhs.trellis.appointments.AppointmentCancelled.v1',
      'uk.nhs.trellis.appointments.AppointmentBooked.v1',
      'uk.nhs.trellis.appointments.AppointmentMissed.v1',
    ]);
    expect(received[0]!.headers).toMatchObject({
      ce_odscode: 'RTH',
      ce_region: 'south-east',
      ce_source: '/trellis/appointments',
      ce_subject: id,
      'content-type': 'application/protobuf',
    });
    expect(received[0]!.headers['ce_regions']!.split(',').sort()).toEqual([
      'north-east',
      'south-east',
    ]);
    expect(events.v1.AppointmentBooked.decode(received[0]!.value).appointment).toMatchObject({
      appointmentId: id,
      referralId: 'RF-0001',
      odsCode: 'RTH',
      region: 'south-east',
    });
  });
});
