import type { DomainEventSink } from '@trellis/events';

import type { AppointmentRow, Prisma } from '../prisma';

/** What happened to an appointment; written to the outbox in the same transaction. */
export type AppointmentEvent =
  | { type: 'AppointmentBooked'; appointment: AppointmentRow }
  | {
      type: 'AppointmentCancelled';
      appointment: AppointmentRow;
      reason: string;
      cancelledBy: 'caller' | 'patient-deceased';
    }
  | {
      type: 'AppointmentRescheduled';
      appointment: AppointmentRow;
      previous: { slotId: string; start: Date; end: Date };
      reason: string;
    }
  | { type: 'AppointmentAttended'; appointment: AppointmentRow; stage: 'arrived' | 'fulfilled' }
  | { type: 'AppointmentMissed'; appointment: AppointmentRow };

/** Port: appends an event to the outbox inside the caller's transaction. */
export type AppointmentEventSink = DomainEventSink<AppointmentEvent, Prisma.TransactionClient>;

export const APPOINTMENT_EVENT_SINK = Symbol('appointments.event-sink');
