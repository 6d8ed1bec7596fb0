import { reactToPatientEvent, type ReceivedEvent } from '@trellis/events';
import { fromOptionalTimestamp } from '@trellis/contracts';

import type { Prisma } from '../app/prisma';
import type { ReferralsService } from '../app/referrals/referrals.service';
import { AppointmentBookedEvent, AppointmentCancelledEvent } from './referral-event-types';

export interface InboundEventOutcome {
  type:
    | 'booked'
    | 'flagged'
    | 'duplicate'
    | 'unknown-referral'
    | 'unbooked'
    | 'not-booked'
    | 'merged'
    | 'deceased'
    | 'ignored';
  affected: number;
}

/**
 * Reactions to other platforms' events, run by the inbox consumer inside the transaction that
 * records the event id (a redelivered event is skipped before this is called):
 *  - AppointmentBooked with a referral id: the referral becomes booked (or the booking is flagged);
 *  - AppointmentCancelled of the appointment a referral is booked with: booked -> accepted;
 *  - PatientMerged: the superseded number's referrals move to the survivor;
 *  - PatientDeceased: the patient's open referrals are cancelled by the platform ("patient
 *    deceased"); closed ones are untouched, so a repeat changes nothing.
 * Other events on those topics are acknowledged and ignored.
 */
export function createInboundEventsHandler(referrals: ReferralsService) {
  return async function handle(
    event: ReceivedEvent,
    tx: Prisma.TransactionClient,
  ): Promise<InboundEventOutcome> {
    if (AppointmentBookedEvent.is(event)) {
      const msg = event.decode(AppointmentBookedEvent);
      const a = msg.appointment;
      if (!a?.referralId) return { type: 'ignored', affected: 0 };
      const actor = msg.context?.actor;
      const outcome = await referrals.onAppointmentBooked(
        tx,
        {
          referralId: a.referralId,
          appointmentId: a.appointmentId,
          nhsNumber: a.nhsNumber,
          odsCode: a.odsCode,
          start: fromOptionalTimestamp(a.start),
          bookedBy: { systemId: actor?.systemId ?? '', odsCode: a.bookingOdsCode },
        },
        event.correlationid,
      );
      return { type: outcome, affected: outcome === 'booked' || outcome === 'flagged' ? 1 : 0 };
    }
    if (AppointmentCancelledEvent.is(event)) {
      const msg = event.decode(AppointmentCancelledEvent);
      const a = msg.appointment;
      if (!a?.referralId) return { type: 'ignored', affected: 0 };
      const actor = msg.context?.actor;
      const outcome = await referrals.onAppointmentCancelled(
        tx,
        {
          referralId: a.referralId,
          appointmentId: a.appointmentId,
          reason: msg.reason,
          cancelledBy: msg.cancelledBy,
          actor: {
            systemId: actor?.systemId ?? '',
            odsCode: actor?.organisation?.odsCode ?? '',
          },
        },
        event.correlationid,
      );
      return { type: outcome, affected: outcome === 'unbooked' ? 1 : 0 };
    }
    const reaction = await reactToPatientEvent(event, {
      deceased: (patient, correlationId) => referrals.onPatientDeceased(tx, patient, correlationId),
      merged: (superseded, survivor) => referrals.onPatientMerged(tx, superseded, survivor),
    });
    return reaction ?? { type: 'ignored', affected: 0 };
  };
}
