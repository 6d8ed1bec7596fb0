import { events, toTimestamp } from '@trellis/contracts';
import { domainEventEnvelope, type Outbox, type OutboxEventInput } from '@trellis/events';

import type {
  AppointmentEvent,
  AppointmentEventSink,
  EventMeta,
} from '../app/booking/appointment-events';
import type { AppointmentRow, Prisma } from '../app/prisma';
import {
  AppointmentAttendedEvent,
  AppointmentBookedEvent,
  AppointmentCancelledEvent,
  AppointmentMissedEvent,
  AppointmentRescheduledEvent,
} from './appointment-event-types';

type AppointmentEventContext = events.v1.AppointmentEventContext;

export function appointmentContext(a: AppointmentRow): AppointmentEventContext {
  return {
    appointmentId: a.id,
    nhsNumber: a.nhsNumber,
    slotId: a.slotId,
    scheduleId: a.scheduleId,
    odsCode: a.odsCode,
    region: a.region,
    serviceType: a.serviceType,
    bookingOdsCode: a.bookingOdsCode,
    start: toTimestamp(a.startAt),
    end: toTimestamp(a.endAt),
    referralId: a.referralId ?? '',
    status: a.status,
    version: a.version,
    practitionerId: a.practitionerId ?? '',
  };
}

/** Writes appointment events to the transactional outbox (CloudEvents + protobuf payload). */
export class OutboxAppointmentEventSink implements AppointmentEventSink {
  constructor(private readonly outbox: Outbox) {}

  async append(
    tx: Prisma.TransactionClient,
    event: AppointmentEvent,
    meta: EventMeta,
  ): Promise<void> {
    await this.outbox.enqueue(tx, toOutboxInput(event, meta));
  }
}

export function toOutboxInput(event: AppointmentEvent, meta: EventMeta): OutboxEventInput {
  const a = event.appointment;
  const { context, occurrence } = domainEventEnvelope(
    'appointments',
    [
      { odsCode: a.odsCode, region: a.region },
      ...(a.bookingOdsCode !== a.odsCode
        ? [{ odsCode: a.bookingOdsCode, region: a.bookingRegion }]
        : []),
    ],
    { nhsNumber: a.nhsNumber, id: a.id },
    meta,
  );
  const appointment = appointmentContext(a);
  switch (event.type) {
    case 'AppointmentBooked':
      return AppointmentBookedEvent.occurrence({ context, appointment }, occurrence);
    case 'AppointmentCancelled':
      return AppointmentCancelledEvent.occurrence(
        { context, appointment, reason: event.reason, cancelledBy: event.cancelledBy },
        occurrence,
      );
    case 'AppointmentRescheduled':
      return AppointmentRescheduledEvent.occurrence(
        {
          context,
          appointment,
          previousSlotId: event.previous.slotId,
          previousStart: toTimestamp(event.previous.start),
          previousEnd: toTimestamp(event.previous.end),
          reason: event.reason,
        },
        occurrence,
      );
    case 'AppointmentAttended':
      return AppointmentAttendedEvent.occurrence(
        { context, appointment, stage: event.stage },
        occurrence,
      );
    case 'AppointmentMissed':
      return AppointmentMissedEvent.occurrence({ context, appointment }, occurrence);
  }
}
