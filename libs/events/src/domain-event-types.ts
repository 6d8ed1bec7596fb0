// A platform's event types declared from their names: every domain event follows one naming rule
// (ce_type uk.nhs.trellis.<domain>.<Message>.v1, payload and dataschema the protobuf message of
// the same name in proto/trellis/events/v1), so a platform lists its messages and this builds them.
import { events } from '@trellis/contracts';

import { defineEventType, type EventType, type MessageCodec } from './cloudevents';

type EventMessages = typeof events.v1;
/** What every generated message's functions fit, whatever the message (enums do not). */
interface AnyMessageCodec {
  encode(message: never): { finish(): Uint8Array };
  decode(input: Uint8Array): unknown;
}

/** The protobuf messages of proto/trellis/events/v1 (the payloads an event type can carry). */
export type EventMessageName = {
  [K in keyof EventMessages]: EventMessages[K] extends AnyMessageCodec ? K : never;
}[keyof EventMessages];

/** The payload type of an event message. */
export type EventMessageOf<N extends EventMessageName> = ReturnType<EventMessages[N]['decode']>;

/** One event type per message name, under that name. */
export type DomainEventTypes<N extends EventMessageName> = {
  readonly [K in N]: EventType<EventMessageOf<K>>;
};

/**
 * The event types a domain publishes on one topic (or reads from another domain's topic), e.g.
 * `domainEventTypes('results', TOPICS.resultsReport, ['ResultAvailable'])` →
 * `{ ResultAvailable }` with ce_type `uk.nhs.trellis.results.ResultAvailable.v1`.
 */
export function domainEventTypes<const N extends EventMessageName>(
  domain: string,
  topic: string | { readonly name: string },
  names: readonly N[],
): DomainEventTypes<N> {
  const table: Record<string, EventType<unknown>> = {};
  for (const name of names) {
    const codec: MessageCodec<unknown> = events.v1[name];
    table[name] = defineEventType({
      type: `uk.nhs.trellis.${domain}.${name}.v1`,
      topic,
      codec,
      dataschema: `proto:trellis.events.v1.${name}`,
    });
  }
  // each entry was built from the codec of its own name
  return table as DomainEventTypes<N>;
}

/** The messages the referrals platform publishes on trellis.referrals.referral.v1. */
export const REFERRAL_EVENT_NAMES = [
  'ReferralSent',
  'ReferralAccepted',
  'ReferralRejected',
  'ReferralReturned',
  'ReferralAdviceGiven',
  'ReferralBooked',
  'ReferralCompleted',
  'ReferralCancelled',
  'RttClockStopped',
  'ReferralUpdated',
  'ReferralBookingCancelled',
] as const satisfies readonly EventMessageName[];

/** The messages the results platform publishes on trellis.results.report.v1. */
export const RESULT_EVENT_NAMES = [
  'ResultAvailable',
  'ResultAmended',
  'ResultAcknowledged',
] as const satisfies readonly EventMessageName[];
