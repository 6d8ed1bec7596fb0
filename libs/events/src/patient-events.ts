// identity's patient events as the platforms that react to them read them
// (trellis.identity.patient.v1): the event types and the checked facts of each, so every consumer
// refuses a malformed one as the same poison message.
import { events, fromOptionalTimestamp } from '@trellis/contracts';

import { defineEventType, type ReceivedEvent } from './cloudevents';
import { PoisonMessageError } from './errors';
import { TOPICS } from './topics';

export const PatientDeceasedEvent = defineEventType({
  type: 'uk.nhs.trellis.identity.PatientDeceased.v1',
  topic: TOPICS.identityPatient,
  codec: events.v1.PatientDeceased,
  dataschema: 'proto:trellis.events.v1.PatientDeceased',
});

export const PatientMergedEvent = defineEventType({
  type: 'uk.nhs.trellis.identity.PatientMerged.v1',
  topic: TOPICS.identityPatient,
  codec: events.v1.PatientMerged,
  dataschema: 'proto:trellis.events.v1.PatientMerged',
});

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
