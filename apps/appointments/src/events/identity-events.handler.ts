import { PoisonMessageError, type ReceivedEvent } from '@trellis/events';
import { fromOptionalTimestamp } from '@trellis/contracts';

import type { BookingService } from '../app/booking/booking.service';
import type { Prisma } from '../app/prisma';
import { PatientDeceasedEvent, PatientMergedEvent } from './appointment-event-types';

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
      const msg = event.decode(PatientDeceasedEvent);
      const nhsNumber = msg.patient?.nhsNumber || event.key || '';
      if (!nhsNumber) throw new PoisonMessageError(`PatientDeceased ${event.id} names no patient`);
      const cancelled = await booking.onPatientDeceased(
        tx,
        nhsNumber,
        fromOptionalTimestamp(msg.deceasedAt),
        event.correlationid,
      );
      return { type: 'deceased', affected: cancelled.length };
    }
    if (PatientMergedEvent.is(event)) {
      const msg = event.decode(PatientMergedEvent);
      const survivor = msg.patient?.nhsNumber ?? '';
      if (!survivor || !msg.supersededNhsNumber)
        throw new PoisonMessageError(
          `PatientMerged ${event.id} lacks the surviving or superseded number`,
        );
      const moved = await booking.onPatientMerged(tx, msg.supersededNhsNumber, survivor);
      return { type: 'merged', affected: moved };
    }
    return { type: 'ignored', affected: 0 };
  };
}
