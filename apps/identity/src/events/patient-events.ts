import { regionOfOrganisation } from '@trellis/service-kit';
import { events as ev } from '@trellis/contracts';
import {
  createOutbox,
  domainEventTypes,
  EventType,
  Outbox,
  type OutboxEventInput,
  outboxRow,
  RawSqlClient,
  TOPICS,
} from '@trellis/events';
import type { EventRow } from '../app/patients/record.sql';
import type { Actor, PatientRecord } from '../app/patients/patient.model';

/**
 * Identity's outbox writer: every event goes to trellis.identity.patient.v1, keyed by NHS number,
 * with ce_odscode / ce_region = the patient's registered GP practice and its region.
 */
export const PatientEvents = domainEventTypes('identity', TOPICS.identityPatient, [
  'PatientRegistered',
  'PatientUpdated',
  'PatientDeceased',
  'PatientMerged',
  'GpRegistrationChanged',
]);

export type PatientEvent =
  | {
      kind: 'registered';
      record: PatientRecord;
      override: boolean;
      overridden: string[];
      reason: string;
    }
  | { kind: 'updated'; record: PatientRecord; changedFields: string[] }
  | { kind: 'deceased'; record: PatientRecord }
  | { kind: 'merged'; survivor: PatientRecord; superseded: string; supersededVersion: number }
  | {
      kind: 'gp-changed';
      record: PatientRecord;
      previousOds: string;
      previousRegion: string;
      effectiveDate: string;
    };

/** Port the service writes events through (in its transaction). */
export interface PatientEventSink {
  emit(tx: RawSqlClient, event: PatientEvent, actor: Actor, correlationId?: string): Promise<void>;
  /**
   * The outbox row emit would write, for a caller that writes it in its own statement
   * (registration: with the patient's insert, one round trip less). A sink without it: emit.
   */
  rowOf?(event: PatientEvent, actor: Actor, correlationId?: string): EventRow;
}

function timestamp(d: Date) {
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

export class OutboxPatientEventSink implements PatientEventSink {
  constructor(private readonly outbox: Outbox = createOutbox({ source: '/trellis/identity' })) {}

  async emit(
    tx: RawSqlClient,
    event: PatientEvent,
    actor: Actor,
    correlationId?: string,
  ): Promise<void> {
    await this.outbox.enqueue(tx, this.occurrenceOf(event, actor, correlationId));
  }

  rowOf(event: PatientEvent, actor: Actor, correlationId?: string): EventRow {
    return {
      ...outboxRow(this.occurrenceOf(event, actor, correlationId)),
      source: this.outbox.source,
    };
  }

  private occurrenceOf(
    event: PatientEvent,
    actor: Actor,
    correlationId: string | undefined,
  ): OutboxEventInput {
    const record = event.kind === 'merged' ? event.survivor : event.record;
    const now = new Date();
    const odsCode = record.gp?.odsCode ?? '';
    const region = record.gp?.region ?? '';
    const context: ev.v1.EventContext = {
      organisations: odsCode ? [{ odsCode, region }] : [],
      regions: region ? [region] : [],
      actor: {
        systemId: actor.systemId,
        organisation: {
          odsCode: actor.odsCode,
          region: regionOfOrganisation(actor.odsCode) ?? actor.region,
        },
        ...(actor.userId ? { userId: actor.userId } : {}),
      },
      occurredAt: timestamp(now),
      correlationId: correlationId ?? '',
    };
    const patient: ev.v1.PatientEventContext = {
      nhsNumber: record.nhsNumber,
      version: record.version,
      gpOdsCode: odsCode,
      region,
      confidentiality: record.confidentiality,
      occurredAt: timestamp(now),
    };
    const regions = [
      ...new Set([
        region,
        ...(event.kind === 'gp-changed' && event.previousRegion ? [event.previousRegion] : []),
      ]),
    ].filter((r) => r !== '');
    const meta = {
      key: event.kind === 'merged' ? event.superseded : record.nhsNumber,
      subject: record.nhsNumber,
      ...(odsCode ? { odsCode } : {}),
      ...(region ? { region } : {}),
      regions,
      ...(correlationId ? { correlationId } : {}),
      time: now,
    };
    const input = (() => {
      switch (event.kind) {
        case 'registered':
          return occurrence(PatientEvents.PatientRegistered, {
            context,
            patient,
            duplicateOverride: event.override,
            overriddenCandidates: event.overridden,
            overrideReason: event.reason,
          });
        case 'updated':
          return occurrence(PatientEvents.PatientUpdated, {
            context,
            patient,
            changedFields: event.changedFields,
          });
        case 'deceased':
          return occurrence(PatientEvents.PatientDeceased, {
            context,
            patient,
            deceasedAt: event.record.deceasedAt ? timestamp(event.record.deceasedAt) : undefined,
          });
        case 'merged':
          return occurrence(PatientEvents.PatientMerged, {
            context,
            patient,
            supersededNhsNumber: event.superseded,
            supersededVersion: event.supersededVersion,
          });
        case 'gp-changed':
          return occurrence(PatientEvents.GpRegistrationChanged, {
            context,
            patient,
            previousGpOdsCode: event.previousOds,
            previousRegion: event.previousRegion,
            effectiveDate: event.effectiveDate,
          });
      }
    })();
    return input(meta);
  }
}

function occurrence<T>(type: EventType<T>, message: T) {
  return (meta: Parameters<EventType<T>['occurrence']>[1]) => type.occurrence(message, meta);
}
