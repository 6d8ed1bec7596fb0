import { events as ev } from '@trellis/contracts';
import {
  defineEventType,
  eventActor,
  type Outbox,
  type RawSqlClient,
  TOPICS,
} from '@trellis/events';
import { regionOfOrganisation } from '@trellis/service-kit';

import type { Actor } from '../patients/patient.model';
import type { StoredPointer } from './records.repository';

/**
 * Record locator events: on identity's patient topic (keyed by NHS number, so a patient's pointer
 * changes stay in order with their merges), ce_odscode / ce_region = the custodian and its region.
 * Consumers that do not know these types acknowledge and skip them.
 */
const topic = TOPICS.identityPatient;
const type = (name: string) => `uk.nhs.trellis.records.${name}.v1`;

export const DocumentPointerCreatedEvent = defineEventType({
  type: type('DocumentPointerCreated'),
  topic,
  codec: ev.v1.DocumentPointerCreated,
  dataschema: 'proto:trellis.events.v1.DocumentPointerCreated',
});
export const DocumentPointerSupersededEvent = defineEventType({
  type: type('DocumentPointerSuperseded'),
  topic,
  codec: ev.v1.DocumentPointerSuperseded,
  dataschema: 'proto:trellis.events.v1.DocumentPointerSuperseded',
});
export const DocumentPointerDeletedEvent = defineEventType({
  type: type('DocumentPointerDeleted'),
  topic,
  codec: ev.v1.DocumentPointerDeleted,
  dataschema: 'proto:trellis.events.v1.DocumentPointerDeleted',
});

export type PointerEvent =
  | { kind: 'created'; pointer: StoredPointer }
  | { kind: 'superseded'; pointer: StoredPointer; supersededId: string }
  | { kind: 'deleted'; pointer: StoredPointer };

function timestamp(d: Date) {
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** Writes a pointer change's event in the change's transaction (transactional outbox). */
export class PointerEventSink {
  constructor(private readonly outbox: Outbox) {}

  async emit(
    tx: RawSqlClient,
    event: PointerEvent,
    confidentiality: 'normal' | 'restricted',
    actor: Actor,
    correlationId?: string,
  ): Promise<void> {
    const p = event.pointer;
    const now = new Date();
    const region = regionOfOrganisation(p.custodianOds) ?? actor.region;
    const context: ev.v1.EventContext = {
      organisations: [{ odsCode: p.custodianOds, region }],
      regions: region ? [region] : [],
      actor: eventActor(actor),
      occurredAt: timestamp(now),
      correlationId: correlationId ?? '',
    };
    const pointer: ev.v1.DocumentPointerEventContext = {
      pointerId: p.id,
      nhsNumber: p.nhsNumber,
      typeCode: p.typeCode,
      custodianOdsCode: p.custodianOds,
      status: p.status,
      version: p.version,
      confidentiality,
      // where a restricted patient is cared for is what the restriction hides
      url: confidentiality === 'restricted' ? '' : p.url,
    };
    const meta = {
      key: p.nhsNumber,
      subject: p.id,
      odsCode: p.custodianOds,
      ...(region ? { region, regions: [region] } : {}),
      ...(correlationId ? { correlationId } : {}),
      time: now,
    };
    const occurrence =
      event.kind === 'created'
        ? DocumentPointerCreatedEvent.occurrence({ context, pointer }, meta)
        : event.kind === 'superseded'
          ? DocumentPointerSupersededEvent.occurrence(
              { context, pointer, supersededPointerId: event.supersededId },
              meta,
            )
          : DocumentPointerDeletedEvent.occurrence({ context, pointer }, meta);
    await this.outbox.enqueue(tx, occurrence);
  }
}
