import { common, events, toTimestamp } from '@trellis/contracts';
import { regionOfOrganisation } from '@trellis/service-kit';

import { type EventOccurrence } from '../cloudevents';

/** An organisation a domain event concerns, with its region. */
export interface EventParty {
  odsCode: string;
  region: string;
}

/** A connected system acting for its organisation, as the auth guard's caller carries it. */
export interface ActingSystem {
  systemId: string;
  odsCode: string;
  region: string;
  userId?: string | undefined;
}

/**
 * The `EventContext.actor` of a change a system made, its organisation in the region the caller
 * declares (domainEventEnvelope instead places it by the ODS reference data); the user only when
 * the call named one.
 */
export function eventActor(who: ActingSystem): common.v1.Actor {
  return {
    systemId: who.systemId,
    organisation: { odsCode: who.odsCode, region: who.region },
    ...(who.userId ? { userId: who.userId } : {}),
  };
}

/** Who caused a change and when: what every platform's event sink receives with an event. */
export interface DomainEventMeta {
  /** Undefined when another platform's event drove the change (the platform acted itself). */
  actor?: { systemId: string; odsCode: string; region: string; userId?: string };
  correlationId?: string;
  occurredAt: Date;
}

/**
 * The envelope every platform event shares: the `EventContext` (the organisations it concerns,
 * owner first; their regions, which route it to each region's stream; who acted — the actor's
 * organisation placed by the ODS reference data when it knows the code) and the outbox occurrence
 * (keyed by NHS number so one patient's events stay in order, owned by the first organisation).
 */
export function domainEventEnvelope(
  service: string,
  organisations: readonly [EventParty, ...EventParty[]],
  record: { nhsNumber: string; id: string },
  meta: DomainEventMeta,
): { context: events.v1.EventContext; occurrence: EventOccurrence } {
  const owner = organisations[0];
  const regions = [...new Set(organisations.map((o) => o.region))];
  const context: events.v1.EventContext = {
    organisations: organisations.map(({ odsCode, region }) => ({ odsCode, region })),
    regions,
    actor: meta.actor
      ? {
          systemId: meta.actor.systemId,
          organisation: {
            odsCode: meta.actor.odsCode,
            region: regionOfOrganisation(meta.actor.odsCode) ?? meta.actor.region,
          },
          userId: meta.actor.userId,
        }
      : { systemId: `trellis-${service}`, organisation: undefined, userId: undefined },
    occurredAt: toTimestamp(meta.occurredAt),
    correlationId: meta.correlationId ?? '',
  };
  const occurrence: EventOccurrence = {
    key: record.nhsNumber,
    subject: record.id,
    odsCode: owner.odsCode,
    region: owner.region,
    regions,
    time: meta.occurredAt,
    ...(meta.correlationId ? { correlationId: meta.correlationId } : {}),
  };
  return { context, occurrence };
}
