import { events, toTimestamp } from '@trellis/contracts';
import {
  domainEventWriter,
  outboxEventSink,
  ownerAndCounterpart,
  withEventFields,
} from '@trellis/events';

import type { AppointmentEvent } from '../app/booking/appointment-events';
import type { AppointmentRow, Prisma } from '../app/prisma';
import { AppointmentEvents } from './appointment-event-types';

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

/** An appointment event as its outbox row (CloudEvents attributes + protobuf payload). */
export const toOutboxInput = domainEventWriter({
  service: 'appointments',
  types: AppointmentEvents,
  subject: ({ appointment: a }: AppointmentEvent) => ({
    organisations: ownerAndCounterpart(
      { odsCode: a.odsCode, region: a.region },
      { odsCode: a.bookingOdsCode, region: a.bookingRegion },
    ),
    record: { nhsNumber: a.nhsNumber, id: a.id },
    common: { appointment: appointmentContext(a) },
  }),
  payloads: {
    AppointmentBooked: (_, common) => common,
    AppointmentCancelled: withEventFields('reason', 'cancelledBy'),
    AppointmentRescheduled: (e, common) => ({
      ...common,
      previousSlotId: e.previous.slotId,
      previousStart: toTimestamp(e.previous.start),
      previousEnd: toTimestamp(e.previous.end),
      reason: e.reason,
    }),
    AppointmentAttended: withEventFields('stage'),
    AppointmentMissed: (_, common) => common,
  },
});

/** Writes appointment events to the transactional outbox (CloudEvents + protobuf payload). */
export const OutboxAppointmentEventSink = outboxEventSink<
  AppointmentEvent,
  Prisma.TransactionClient
>(toOutboxInput);
