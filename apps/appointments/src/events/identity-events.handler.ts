import {
  PatientDeceasedEvent,
  patientDeceasedOf,
  PatientMergedEvent,
  patientMergedOf,
  type ReceivedEvent,
} from '@trellis/events';

import type { BookingService } from '../app/booking/booking.service';
import type { Prisma } from '../app/prisma';

export interface IdentityEventOutcome {
  type: 'deceased' | 'merged' | 'ignored';
  affected: number;
}

/**
 * Reactions to identity events, run by the inbox consumer inside the transaction that records the
 * event id (a redelivered event is skipped before this is called):
 *  - PatientDeceased: cancels the patient's booked appointments from the death onwards;
 *  - PatientMerged: moves the superseded number's appointments to the surviving number.
 * Other identity events are acknowledged and ignored.
 */
export function createIdentityEventsHandler(booking: BookingService) {
  return async function handle(
    event: ReceivedEvent,
    tx: Prisma.TransactionClient,
  ): Promise<IdentityEventOutcome> {
    if (PatientDeceasedEvent.is(event)) {
      const { nhsNumber, deceasedAt } = patientDeceasedOf(event);
      const cancelled = await booking.onPatientDeceased(
        tx,
        nhsNumber,
        deceasedAt,
        event.correlationid,
      );
      return { type: 'deceased', affected: cancelled.length };
    }
    if (PatientMergedEvent.is(event)) {
      const { superseded, survivor } = patientMergedOf(event);
      const moved = await booking.onPatientMerged(tx, superseded, survivor);
      return { type: 'merged', affected: moved };
    }
    return { type: 'ignored', affected: 0 };
  };
}
