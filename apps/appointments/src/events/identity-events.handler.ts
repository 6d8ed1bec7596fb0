import { reactToPatientEvent, type ReceivedEvent } from '@trellis/events';

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
    const reaction = await reactToPatientEvent(event, {
      deceased: async ({ nhsNumber, deceasedAt }, correlationId) =>
        (await booking.onPatientDeceased(tx, nhsNumber, deceasedAt, correlationId)).length,
      merged: (superseded, survivor) => booking.onPatientMerged(tx, superseded, survivor),
    });
    return reaction ?? { type: 'ignored', affected: 0 };
  };
}
