// identity's patient events as the platforms that react to them read them
// (trellis.identity.patient.v1): the event types and the checked facts of each, so every consumer
// refuses a malformed one as the same poison message.
import { fromOptionalTimestamp } from '@trellis/contracts';

import { type ReceivedEvent } from './cloudevents';
import { domainEventTypes } from './domain-event-types';
import { PoisonMessageError } from './errors';
import { TOPICS } from './topics';

export const { PatientDeceased: PatientDeceasedEvent, PatientMerged: PatientMergedEvent } =
  domainEventTypes('identity', TOPICS.identityPatient, ['PatientDeceased', 'PatientMerged']);

/** A PatientDeceased event's patient (the payload's, else the key) and time of death. */
export function patientDeceasedOf(event: ReceivedEvent): {
  nhsNumber: string;
  deceasedAt: Date | undefined;
} {
  const msg = event.decode(PatientDeceasedEvent);
  const nhsNumber = msg.patient?.nhsNumber || event.key || '';
  if (!nhsNumber) throw new PoisonMessageError(`PatientDeceased ${event.id} names no patient`);
  return { nhsNumber, deceasedAt: fromOptionalTimestamp(msg.deceasedAt) };
}

/** A PatientMerged event's superseded and surviving NHS numbers. */
export function patientMergedOf(event: ReceivedEvent): { superseded: string; survivor: string } {
  const msg = event.decode(PatientMergedEvent);
  const survivor = msg.patient?.nhsNumber ?? '';
  if (!survivor || !msg.supersededNhsNumber)
    throw new PoisonMessageError(
      `PatientMerged ${event.id} lacks the surviving or superseded number`,
    );
  return { superseded: msg.supersededNhsNumber, survivor };
}

/** What a platform does with its own records when identity reports a death or a merge. */
export interface PatientEventReactions {
  /** Returns how many of the platform's records it changed. */
  deceased(
    patient: { nhsNumber: string; deceasedAt: Date | undefined },
    correlationId: string | undefined,
  ): Promise<number>;
  /**
   * Returns how many of the platform's records moved to the surviving number (never called for a
   * number merged into itself: that moves nothing).
   */
  merged(superseded: string, survivor: string): Promise<number>;
}

/**
 * Applies identity's PatientDeceased or PatientMerged to a platform's records (inside the inbox
 * transaction); undefined for any other event, which the platform handles or ignores itself.
 */
export async function reactToPatientEvent(
  event: ReceivedEvent,
  reactions: PatientEventReactions,
): Promise<{ type: 'deceased' | 'merged'; affected: number } | undefined> {
  if (PatientDeceasedEvent.is(event))
    return {
      type: 'deceased',
      affected: await reactions.deceased(patientDeceasedOf(event), event.correlationid),
    };
  if (PatientMergedEvent.is(event)) {
    const { superseded, survivor } = patientMergedOf(event);
    if (superseded === survivor) return { type: 'merged', affected: 0 };
    return { type: 'merged', affected: await reactions.merged(superseded, survivor) };
  }
  return undefined;
}
