import { events } from '@trellis/contracts';
import { defineEventType, regionTopicName, TOPICS } from '@trellis/events';

/** Consumed: one access to patient data, from every service's access auditor. */
export const AccessRecorded = defineEventType({
  type: 'uk.nhs.trellis.audit.AccessRecorded.v1',
  topic: TOPICS.auditAccess,
  codec: events.v1.AccessRecorded,
  dataschema: 'proto:trellis.events.v1.AccessRecorded',
});

/** Published: a citizen's flag, for the organisation's DPO (this topic) ... */
export const AccessFlagged = defineEventType({
  type: 'uk.nhs.trellis.audit.AccessFlagged.v1',
  topic: TOPICS.auditFlag,
  codec: events.v1.AccessFlagged,
  dataschema: 'proto:trellis.events.v1.AccessFlagged',
});

/** ... and for the regional authority of the patient's GP (its regional stream). */
export function accessFlaggedForRegion(region: string) {
  return defineEventType({
    type: AccessFlagged.type,
    topic: regionTopicName(region),
    codec: events.v1.AccessFlagged,
    dataschema: 'proto:trellis.events.v1.AccessFlagged',
  });
}
