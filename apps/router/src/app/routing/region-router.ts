import {
  createOutbox,
  regionTopicName,
  type Outbox,
  type OutboxEventInput,
  type ReceivedEvent,
} from '@trellis/events';

import type { Prisma } from '../prisma';
import { PatientHomesRepository, type PatientHomes } from './patient-homes.repository';
import { decideRouting, type PatientHomeFact } from './regional-policy';

/** Headers the router adds (besides every original one). */
export const ROUTER_HEADERS = {
  originId: 'trellis-origin-id',
  originTopic: 'trellis-origin-topic',
  payloadView: 'trellis-payload',
} as const;

const ORIGIN_TRACEPARENT = 'trellis-origin-traceparent';

export type RouteOutcome =
  | { kind: 'routed'; regions: string[]; homeRegion: string | undefined; unknown: string[] }
  | { kind: 'skipped'; reason: string };

/**
 * Republishes one domain event to the stream of every region it concerns, through the router's
 * own outbox, in the inbox transaction that recorded the event (so nothing is lost or doubled).
 * Each copy keeps the original CloudEvents attributes (source, type, time, subject, dataschema,
 * odscode, region(s), correlation id, trace context); its ce_id is derived from the original id
 * and the region (`trellis-origin-id` carries the original).
 */
export class RegionRouter {
  private readonly outboxes = new Map<string, Outbox>();
  private readonly regions: ReadonlySet<string>;

  constructor(
    regions: readonly string[],
    private readonly homes: PatientHomes = new PatientHomesRepository(),
  ) {
    this.regions = new Set(regions);
  }

  async route(event: ReceivedEvent, tx: Prisma.TransactionClient): Promise<RouteOutcome> {
    const key = event.key ?? event.subject ?? null;
    const known: PatientHomeFact | undefined =
      (key ? await this.homes.find(tx, key) : null) ?? undefined;
    const decision = decideRouting(event, known, this.regions);
    if (!decision) return { kind: 'skipped', reason: `event type ${event.type} is not routed` };
    if (decision.home && (!known || decision.home.version >= known.version))
      await this.homes.save(tx, decision.home);
    if (decision.deliveries.length > 0) {
      const traceparent = event.headers[ORIGIN_TRACEPARENT] ?? event.traceparent;
      const inputs = decision.deliveries.map((d): OutboxEventInput => ({
        topic: regionTopicName(d.region),
        key,
        type: event.type,
        payload: d.payload,
        id: d.id,
        time: new Date(event.time),
        ...(event.subject ? { subject: event.subject } : {}),
        ...(event.dataschema ? { dataschema: event.dataschema } : {}),
        ...(event.odscode ? { odsCode: event.odscode } : {}),
        ...(event.region ? { region: event.region } : {}),
        ...(event.regions && event.regions.length > 0 ? { regions: event.regions } : {}),
        ...(event.correlationid ? { correlationId: event.correlationid } : {}),
        headers: {
          ...(traceparent ? { traceparent } : {}),
          ...(event.tracestate ? { tracestate: event.tracestate } : {}),
          [ROUTER_HEADERS.originId]: event.id,
          [ROUTER_HEADERS.originTopic]: event.topic,
          [ROUTER_HEADERS.payloadView]: d.view,
        },
      }));
      await this.outboxFor(event.source).enqueueMany(tx, inputs);
    }
    return {
      kind: 'routed',
      regions: decision.deliveries.map((d) => `${d.region}:${d.view}`),
      homeRegion: decision.homeRegion,
      unknown: decision.unknownRegions,
    };
  }

  /** One outbox writer per original ce_source, so each copy keeps its source. */
  private outboxFor(source: string): Outbox {
    let outbox = this.outboxes.get(source);
    if (!outbox) {
      outbox = createOutbox({
        source: /^\/trellis\/[a-z][a-z0-9-]*$/.test(source) ? source : '/trellis/router',
      });
      this.outboxes.set(source, outbox);
    }
    return outbox;
  }
}
