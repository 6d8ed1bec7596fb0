import type { DomainEventSink, SubjectEvents } from '@trellis/events';

import type { AppointmentRow, Prisma } from '../prisma';

/** What happened to an appointment; written to the outbox in the same transaction. */
export type AppointmentEvent = SubjectEvents<
  'appointment',
  AppointmentRow,
  {
    AppointmentBooked: object;
    AppointmentCancelled: { reason: string; cancelledBy: 'caller' | 'patient-deceased' };
    AppointmentRescheduled: {
      previous: { slotId: string; start: Date; end: Date };
      reason: string;
    };
    AppointmentAttended: { stage: 'arrived' | 'fulfilled' };
    AppointmentMissed: object;
  }
>;

/** Port: appends an event to the outbox inside the caller's transaction. */
export type AppointmentEventSink = DomainEventSink<AppointmentEvent, Prisma.TransactionClient>;
