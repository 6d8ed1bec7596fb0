import type { events } from '@trellis/contracts';

import type { EventType, OutboxEventInput } from '../cloudevents';
import type { DomainEventTypes, EventMessageName, EventMessageOf } from '../domain-event-types';
import type { RawSqlClient } from '../sql-client';
import { domainEventEnvelope, type DomainEventMeta, type EventParty } from './domain-event';
import type { Outbox } from './outbox';

/** The port a platform writes its domain events through, inside the caller's transaction. */
export interface DomainEventSink<E, Tx extends RawSqlClient = RawSqlClient> {
  append(tx: Tx, event: E, meta: DomainEventMeta): Promise<void>;
}

/** A DomainEventSink that also writes several events with one statement, in order. */
export interface BatchingDomainEventSink<
  E,
  Tx extends RawSqlClient = RawSqlClient,
> extends DomainEventSink<E, Tx> {
  appendMany(tx: Tx, events: readonly E[], meta: DomainEventMeta): Promise<void>;
}

/**
 * A platform's DomainEventSink over the transactional outbox: `toOutboxInput` turns one of its
 * events into the outbox row (CloudEvents attributes + protobuf payload).
 */
export class OutboxEventSink<
  E,
  Tx extends RawSqlClient = RawSqlClient,
> implements BatchingDomainEventSink<E, Tx> {
  constructor(
    private readonly outbox: Outbox,
    private readonly toOutboxInput: (event: E, meta: DomainEventMeta) => OutboxEventInput,
  ) {}

  async append(tx: Tx, event: E, meta: DomainEventMeta): Promise<void> {
    await this.outbox.enqueue(tx, this.toOutboxInput(event, meta));
  }

  async appendMany(tx: Tx, events: readonly E[], meta: DomainEventMeta): Promise<void> {
    await this.outbox.enqueueMany(
      tx,
      events.map((e) => this.toOutboxInput(e, meta)),
    );
  }
}

/** A platform's outbox sink class: constructed over the service's outbox, nothing else to say. */
export type OutboxEventSinkClass<E, Tx extends RawSqlClient = RawSqlClient> = new (
  outbox: Outbox,
) => OutboxEventSink<E, Tx>;

/**
 * The sink class of a platform's events, from its `toOutboxInput` (domainEventWriter): what the
 * platform module constructs over the outbox, and what seeds, benches and tests `new` directly.
 */
export function outboxEventSink<E, Tx extends RawSqlClient = RawSqlClient>(
  toOutboxInput: (event: E, meta: DomainEventMeta) => OutboxEventInput,
): OutboxEventSinkClass<E, Tx> {
  return class PlatformOutboxEventSink extends OutboxEventSink<E, Tx> {
    constructor(outbox: Outbox) {
      super(outbox, toOutboxInput);
    }
  };
}

/**
 * A platform's events as one union, each carrying the record it is about under the same key
 * (`SubjectEvents<'referral', ReferralRow, { ReferralSent: {}; ReferralRejected: { reason:
 * string } }>`): the subject is stated once, each event type names only its own fields.
 */
export type SubjectEvents<
  Key extends string,
  Subject,
  Fields extends { readonly [type: string]: object },
> = {
  [T in keyof Fields & string]: Fields[T] & { type: T } & Record<Key, Subject>;
}[keyof Fields & string];

/**
 * The organisations of an event with an owner and a counterpart (booking organisation, requester):
 * the counterpart only when it is another organisation.
 */
export function ownerAndCounterpart(
  owner: EventParty,
  counterpart: EventParty,
): [EventParty, ...EventParty[]] {
  return counterpart.odsCode === owner.odsCode ? [owner] : [owner, counterpart];
}

/** How a platform's events become outbox rows; each event's `type` names its protobuf message. */
export interface DomainEventWriterSpec<E extends { type: EventMessageName }, C extends object> {
  /** The platform (the actor of changes another platform's event drove). */
  service: string;
  /** Its event types (domainEventTypes), one per event `type`. */
  types: DomainEventTypes<E['type']>;
  /**
   * The record an event is about, the organisations it concerns (owner first) and the payload
   * fields every one of its events carries besides the context (e.g. `{ referral }`).
   */
  subject(event: E): {
    organisations: readonly [EventParty, ...EventParty[]];
    record: { nhsNumber: string; id: string };
    common: C;
  };
  /** Each event type's payload, given the event and the common fields with the envelope's context. */
  payloads: {
    [K in E['type']]: (
      event: Extract<E, { type: K }>,
      common: C & { context: events.v1.EventContext },
      meta: DomainEventMeta,
    ) => EventMessageOf<K>;
  };
}

/**
 * A platform's `toOutboxInput`: the envelope (domainEventEnvelope of the event's subject), then
 * the payload of the event's type, as an occurrence of that type.
 */
export function domainEventWriter<E extends { type: EventMessageName }, C extends object>(
  spec: DomainEventWriterSpec<E, C>,
): (event: E, meta: DomainEventMeta) => OutboxEventInput {
  return (event, meta) => {
    const { organisations, record, common } = spec.subject(event);
    const { context, occurrence } = domainEventEnvelope(spec.service, organisations, record, meta);
    // the payload builder and the event type of one name belong together (the spec's mapped types)
    const payload = spec.payloads[event.type as E['type']] as (
      event: E,
      common: C & { context: events.v1.EventContext },
      meta: DomainEventMeta,
    ) => EventMessageOf<E['type']>;
    const type = spec.types[event.type as E['type']] as EventType<EventMessageOf<E['type']>>;
    return type.occurrence(payload(event, { context, ...common }, meta), occurrence);
  };
}

/**
 * A payload builder for `DomainEventWriterSpec.payloads`: the common fields, and the event's own
 * `fields` under the same names (`ReferralRejected: withEventFields('reason')`). The payload's
 * message type checks the fields' names and types.
 */
export function withEventFields<const K extends string>(
  ...fields: K[]
): <Ev extends { readonly [F in K]: unknown }, Common extends object>(
  event: Ev,
  common: Common,
) => Common & Pick<Ev, K> {
  return (event, common) => {
    const own = {} as Pick<typeof event, K>;
    for (const field of fields) own[field] = event[field];
    return { ...common, ...own };
  };
}
