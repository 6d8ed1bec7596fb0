import { randomUUID } from 'node:crypto';
import { stringHeaders, type ReceivedEvent } from '../cloudevents';
import { errorMessage } from '../errors';
import type { EventsLogger } from '../logger';
import type { ConsumedMessage, EventPublisher } from '../port';
import type { RawSqlClient } from '../sql-client';
import type { InboxConsumerStats } from './inbox-options';
import { recordInInbox } from './inbox-rows';

/** Headers added to a dead-lettered message (besides all of its original headers). */
export const DLQ_HEADERS = {
  topic: 'dlq_original_topic',
  partition: 'dlq_original_partition',
  offset: 'dlq_original_offset',
  group: 'dlq_consumer_group',
  error: 'dlq_error',
  attempts: 'dlq_attempts',
  failedAt: 'dlq_failed_at',
} as const;

export interface DeadLetterContext {
  groupId: string;
  /** The service's client (not a transaction: the dead letter is recorded on its own). */
  prisma: RawSqlClient;
  /** The DLQ topic of `topic` (undefined: no DLQ, give up by throwing). */
  dlqTopicFor: (topic: string) => string | undefined;
  publisher: EventPublisher | undefined;
  stats: InboxConsumerStats;
  logger: EventsLogger;
}

/**
 * Dead-letters a message that failed for good: records it in `dead_letter_events`, publishes it to
 * the DLQ topic with its error, then records the event in the inbox so a redelivery is skipped.
 * Without a DLQ it throws, which stops the consumer.
 */
export async function deadLetter(
  ctx: DeadLetterContext,
  message: ConsumedMessage,
  event: ReceivedEvent | undefined,
  error: unknown,
  attempts: number,
): Promise<void> {
  const topic = ctx.dlqTopicFor(message.topic);
  const reason = errorMessage(error).slice(0, 4000);
  if (!topic || !ctx.publisher) {
    throw new Error(
      `giving up on ${message.topic}/${message.partition}@${message.offset} after ${attempts} attempts (no DLQ): ${reason}`,
    );
  }
  const original = stringHeaders(message.headers);
  const key = message.key === null ? null : Buffer.from(message.key).toString('utf8');
  // 1. record it (fails fast, before anything reaches the DLQ, if the database is down)
  await ctx.prisma.$executeRaw`
      INSERT INTO dead_letter_events
        (id, consumer_group, event_id, topic, partition, "offset", key, ce_type, error, attempts,
         headers, payload)
      VALUES (${randomUUID()}::uuid, ${ctx.groupId}, ${event?.id ?? null}, ${message.topic},
              ${message.partition}, ${message.offset}::bigint, ${key}, ${event?.type ?? null},
              ${reason}, ${attempts}, ${JSON.stringify(original)}::jsonb,
              ${message.value === null ? null : Buffer.from(message.value)})
      ON CONFLICT DO NOTHING`;
  // 2. publish it with its error
  await ctx.publisher.publish([
    {
      topic,
      key,
      value: message.value ?? new Uint8Array(),
      headers: {
        ...original,
        [DLQ_HEADERS.topic]: message.topic,
        [DLQ_HEADERS.partition]: String(message.partition),
        [DLQ_HEADERS.offset]: message.offset,
        [DLQ_HEADERS.group]: ctx.groupId,
        [DLQ_HEADERS.error]: reason,
        [DLQ_HEADERS.attempts]: String(attempts),
        [DLQ_HEADERS.failedAt]: new Date().toISOString(),
      },
    },
  ]);
  // 3. remember it as done, so a redelivery does not dead-letter it again
  if (event) await recordInInbox(ctx.prisma, ctx.groupId, event);
  ctx.stats.deadLettered += 1;
  ctx.logger.error(
    {
      groupId: ctx.groupId,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      eventId: event?.id,
      dlq: topic,
      attempts,
      error: reason,
    },
    'event dead-lettered',
  );
}
