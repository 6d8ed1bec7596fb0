import { randomUUID } from 'node:crypto';

import { toCloudEventHeaders, type EventPublisher } from '@trellis/events';
import { pollUntil } from '@trellis/testing';

import { PatientDeceasedEvent, PatientMergedEvent } from '../src/events/appointment-event-types';
import { at, testNhsNumber } from './support/harness';
import { ts } from './support/grpc-client';
import { startService, type ServiceUnderTest } from './support/service-under-test';

const ALL = ['system/Schedule.cr', 'system/Slot.cs', 'system/Appointment.cruds'];

describe('identity events through Kafka and the inbox', () => {
  let svc: ServiceUnderTest;
  let publisher: EventPublisher;
  let trust: string;
  let gp: string;

  beforeAll(async () => {
    svc = await startService();
    publisher = svc.bus.publisher();
    await publisher.connect();
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
  });

  afterAll(async () => {
    await publisher?.disconnect();
    await svc?.stop();
  });

  async function bookThree(nhsNumber: string, day: number): Promise<string[]> {
    svc.identity.add({ nhsNumber });
    const { schedule } = await svc.client.schedule.createSchedule(
      { serviceType: 'cardiology' },
      svc.client.as(trust),
    );
    const { slots } = await svc.client.schedule.publishSlots(
      {
        scheduleId: schedule!.id,
        slots: [9, 10, 11].map((h) => ({ start: ts(at(day, h)), end: ts(at(day, h, 30)) })),
      },
      svc.client.as(trust),
    );
    const ids: string[] = [];
    for (const [i, slot] of slots.entries()) {
      const r = await svc.client.appointment.bookAppointment(
        { idempotencyKey: `ev-${nhsNumber}-${i}`, slotId: slot.id, nhsNumber },
        svc.client.as(gp),
      );
      ids.push(r.appointment!.id);
    }
    return ids;
  }

  function send(
    type: { type: string; encode(m: never): Uint8Array },
    message: unknown,
    key: string,
    id: string,
  ) {
    const headers = toCloudEventHeaders({
      id,
      source: '/trellis/identity',
      type: type.type,
      time: new Date().toISOString(),
      subject: key,
      odscode: 'A81001',
      region: 'north-east',
    });
    return publisher.publish([
      { topic: svc.identityTopic, key, value: type.encode(message as never), headers },
    ]);
  }

  it('a duplicate-delivered PatientDeceased cancels the future appointments once, with the reason, freeing the slots', async () => {
    const nhs = testNhsNumber();
    const ids = await bookThree(nhs, 8);
    // the patient arrives for the third appointment (inside its arrival window), then dies
    const now = svc.clock.now();
    svc.clock.set(at(8, 11));
    await svc.client.appointment.markArrived({ appointmentId: ids[2] }, svc.client.as(trust));
    svc.clock.set(now);
    const eventId = randomUUID();
    const msg = {
      patient: {
        nhsNumber: nhs,
        version: 2,
        gpOdsCode: 'A81001',
        region: 'north-east',
        confidentiality: 'normal',
      },
      deceasedAt: ts(new Date()),
    };
    const before = svc.messaging.consumer!.stats.duplicates;
    await send(PatientDeceasedEvent, msg, nhs, eventId);
    await send(PatientDeceasedEvent, msg, nhs, eventId); // redelivery: same CloudEvents id
    await pollUntil('the duplicate to be skipped', async () =>
      svc.messaging.consumer!.stats.duplicates > before ? true : undefined,
    );

    const rows = await svc.db.sql.query<{
      id: string;
      status: string;
      cancellation_reason: string | null;
      slot_status: string;
    }>(
      'SELECT a.id::text, a.status::text, a.cancellation_reason, s.status::text AS slot_status FROM appointments a JOIN slots s ON s.id = a.slot_id WHERE a.nhs_number = $1 ORDER BY a.start_at',
      [nhs],
    );
    expect(rows.rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'arrived']);
    expect(rows.rows[0]!.cancellation_reason).toMatch(/^Patient deceased/);
    expect(rows.rows.map((r) => r.slot_status)).toEqual(['free', 'free', 'busy']);
    const cancelledEvents = await svc.db.sql.query(
      "SELECT ce_subject FROM outbox_events WHERE ce_type = 'uk.nhs.trellis.appointments.AppointmentCancelled.v1' AND key = $1",
      [nhs],
    );
    expect(cancelledEvents.rows.map((r) => r.ce_subject).sort()).toEqual([ids[0], ids[1]].sort());
    const inbox = await svc.db.sql.query(
      'SELECT count(*)::int AS n FROM inbox_events WHERE event_id = $1',
      [eventId],
    );
    expect(inbox.rows[0].n).toBe(1);

    // a second, distinct PatientDeceased finds nothing left to cancel
    await send(PatientDeceasedEvent, msg, nhs, randomUUID());
    const handledBefore = svc.messaging.consumer!.stats.handled;
    await pollUntil('the second event', async () =>
      svc.messaging.consumer!.stats.handled > handledBefore ? true : undefined,
    );
    const again = await svc.db.sql.query(
      "SELECT count(*)::int AS n FROM outbox_events WHERE ce_type LIKE '%AppointmentCancelled%' AND key = $1",
      [nhs],
    );
    expect(again.rows[0].n).toBe(2);
  });

  it('PatientMerged moves the superseded number appointments to the survivor', async () => {
    const old = testNhsNumber();
    const survivor = testNhsNumber();
    svc.identity.add({ nhsNumber: survivor });
    const ids = await bookThree(old, 9);
    await send(
      PatientMergedEvent,
      {
        patient: { nhsNumber: survivor, version: 3 },
        supersededNhsNumber: old,
        supersededVersion: 2,
      },
      survivor,
      randomUUID(),
    );
    const moved = await pollUntil('the merge', async () => {
      const r = await svc.db.sql.query(
        'SELECT id::text FROM appointments WHERE nhs_number = $1 AND merged_from_nhs_number = $2',
        [survivor, old],
      );
      return r.rows.length === 3 ? r.rows.map((x) => x.id as string) : undefined;
    });
    expect(moved.sort()).toEqual([...ids].sort());
    const listed = await svc.client.appointment.listPatientAppointments(
      { nhsNumber: survivor, period: 1 },
      svc.client.as(gp),
    );
    expect(listed.appointments).toHaveLength(3);
  });
});
