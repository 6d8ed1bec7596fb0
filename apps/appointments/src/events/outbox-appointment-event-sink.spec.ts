import { events } from '@trellis/contracts';

import type { AppointmentRow } from '../app/prisma';
import { toOutboxInput } from './outbox-appointment-event-sink';

const row: AppointmentRow = {
  id: '7d0c3d39-1111-4a4a-8a8a-000000000001',
  nhsNumber: '9990000018',
  slotId: '7d0c3d39-1111-4a4a-8a8a-000000000002',
  scheduleId: '7d0c3d39-1111-4a4a-8a8a-000000000003',
  status: 'booked',
  startAt: new Date('2030-01-01T09:00:00Z'),
  endAt: new Date('2030-01-01T09:20:00Z'),
  odsCode: 'RTH',
  region: 'south-east',
  serviceType: 'cardiology-opd',
  practitionerId: null,
  bookingOdsCode: 'A81001',
  bookingRegion: 'north-east',
  referralId: 'RF-1',
  idempotencyKey: 'key-00000001',
  requestHash: 'h',
  cancellationReason: null,
  cancelledAt: null,
  arrivedAt: null,
  fulfilledAt: null,
  noShowAt: null,
  mergedFromNhsNumber: null,
  version: 1,
  createdAt: new Date('2029-12-01T00:00:00Z'),
  updatedAt: new Date('2029-12-01T00:00:00Z'),
};
const meta = {
  actor: { systemId: 'gp-system', odsCode: 'A81001', region: 'north-east' },
  correlationId: 'corr-1',
  occurredAt: new Date('2029-12-01T00:00:00Z'),
};

describe('appointment events → outbox', () => {
  it('AppointmentBooked: topic, NHS number key, provider ODS/region, both regions, referral id', () => {
    const out = toOutboxInput({ type: 'AppointmentBooked', appointment: row }, meta);
    expect(out).toMatchObject({
      topic: 'trellis.appointments.appointment.v1',
      type: 'uk.nhs.trellis.appointments.AppointmentBooked.v1',
      key: '9990000018',
      subject: row.id,
      odsCode: 'RTH',
      region: 'south-east',
      regions: ['south-east', 'north-east'],
      correlationId: 'corr-1',
      dataschema: 'proto:trellis.events.v1.AppointmentBooked',
    });
    const msg = events.v1.AppointmentBooked.decode(out.payload);
    expect(msg.appointment).toMatchObject({
      appointmentId: row.id,
      referralId: 'RF-1',
      bookingOdsCode: 'A81001',
      status: 'booked',
    });
    expect(msg.context?.organisations.map((o) => o.odsCode)).toEqual(['RTH', 'A81001']);
    expect(msg.context?.actor?.systemId).toBe('gp-system');
  });

  it('encodes each event type with its own payload', () => {
    const cancelled = toOutboxInput(
      {
        type: 'AppointmentCancelled',
        appointment: { ...row, status: 'cancelled' },
        reason: 'r',
        cancelledBy: 'patient-deceased',
      },
      { occurredAt: meta.occurredAt },
    );
    expect(events.v1.AppointmentCancelled.decode(cancelled.payload)).toMatchObject({
      reason: 'r',
      cancelledBy: 'patient-deceased',
    });
    const moved = toOutboxInput(
      {
        type: 'AppointmentRescheduled',
        appointment: row,
        previous: { slotId: 'old', start: row.startAt, end: row.endAt },
        reason: 'x',
      },
      meta,
    );
    expect(events.v1.AppointmentRescheduled.decode(moved.payload)).toMatchObject({
      previousSlotId: 'old',
      reason: 'x',
    });
    const attended = toOutboxInput(
      {
        type: 'AppointmentAttended',
        appointment: { ...row, status: 'fulfilled' },
        stage: 'fulfilled',
      },
      meta,
    );
    expect(attended.type).toBe('uk.nhs.trellis.appointments.AppointmentAttended.v1');
    expect(events.v1.AppointmentAttended.decode(attended.payload).stage).toBe('fulfilled');
    const missed = toOutboxInput(
      { type: 'AppointmentMissed', appointment: { ...row, status: 'noshow' } },
      meta,
    );
    expect(events.v1.AppointmentMissed.decode(missed.payload).appointment?.status).toBe('noshow');
  });
});
