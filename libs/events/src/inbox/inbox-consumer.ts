import { randomUUID } from 'node:crypto';
import {
  context,
  type Context,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type BatchObservableCallback,
  type Meter,
  type Observable,
} from '@opentelemetry/api';
import { startRequestTimer } from '@trellis/telemetry';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff';
import { stringHeaders, toReceivedEvent, type ReceivedEvent } from '../cloudevents';
import { errorMessage, PoisonMessageError } from '../errors';
import { silentLogger, type EventsLogger } from '../logger';
import type {
  BatchControl,
  ConsumedBatch,
  ConsumedMessage,
  EventBus,
  EventConsumer,
  EventPublisher,
  PartitionLag,
} from '../port';
import type { RawSqlClient, TransactionalClient, TransactionOptions } from '../sql-client';
import { dlqTopicName } from '../topics';
import { extractTraceContext } from '../trace';

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

export interface InboxConsumerOptions<Tx extends RawSqlClient> {
  bus: EventBus;
  groupId: string;
  topics: readonly string[];
  /** The service's Prisma client (search_path = the service schema). */
  prisma: TransactionalClient<Tx>;
  /**
   * Handles one event inside the transaction that records it in the inbox: write with `tx` only.
   * Throw to retry; throw PoisonMessageError to dead-letter at once.
   */
  handle?: (event: ReceivedEvent, tx: Tx) => Promise<void>;
  /**
   * Instead of `handle`: handles the new events of a batch transaction at once, in order (e.g. one
   * multi-row INSERT for high-volume streams). A failure rolls the batch back and its events are
   * handled one by one (a batch of one each), so the failing event is retried and dead-lettered
   * alone.
   */
  handleBatch?: (events: readonly ReceivedEvent[], tx: Tx) => Promise<void>;
  /** Attempts before dead-lettering (default 5). */
  maxAttempts?: number;
  /** Delay between attempts (default 200 ms doubling to 5 s). */
  backoff?: BackoffOptions;
  /** Dead-letter topic per consumed topic (default `<topic>.dlq`), or false to stop instead. */
  dlq?: false | { topicFor?: (topic: string) => string };
  /**
   * Consecutive messages of a partition handled in one transaction (default 100; 1 = one
   * transaction per message). If any of them fails, that transaction is rolled back and the
   * messages are handled one by one (with retries and dead-lettering), so a failure never
   * affects another message's outcome. Fewer commits = far fewer WAL flushes.
   */
  maxBatchSize?: number;
  /** Partitions handled in parallel (each partition stays in order). Default 3. */
  concurrency?: number;
  /** Where a new group starts (default earliest). */
  fromBeginning?: boolean;
  transaction?: TransactionOptions;
  /** Consumer session timeout (default 30 s; a crashed member's partitions wait this long). */
  sessionTimeoutMs?: number;
  /** Commit offsets at least this often inside a long batch (default 1000 ms; always at batch end). */
  commitIntervalMs?: number;
  logger?: EventsLogger;
  /** Register the OpenTelemetry consumer-lag gauge (default true). */
  metrics?: boolean;
  /** Test seam: awaited after an event's transaction committed, before its offset is marked. */
  afterTransaction?: (event: ReceivedEvent, outcome: 'handled' | 'duplicate') => Promise<void>;
}

export interface InboxConsumerStats {
  handled: number;
  duplicates: number;
  failedAttempts: number;
  deadLettered: number;
}

export interface InboxConsumer {
  /** Join the group; resolves once partitions are assigned and fetching has started. */
  start(): Promise<void>;
  /** Finish the message in hand, commit, leave the group. */
  stop(): Promise<void>;
  /** Lag per partition from the broker (high watermark − committed offset). */
  lag(): Promise<PartitionLag[]>;
  readonly stats: Readonly<InboxConsumerStats>;
}

type Outcome = 'handled' | 'duplicate';

/**
 * An inbox consumer: per message, one database transaction that inserts the inbox row (a
 * redelivered event conflicts and is skipped) and runs the handler; the Kafka offset is committed
 * only after that transaction committed (autoCommit off). Failures are retried with backoff;
 * after `maxAttempts` (at once for PoisonMessageError) the message goes to `<topic>.dlq` with
 * its error and the partition moves on.
 */
export function createInboxConsumer<Tx extends RawSqlClient>(
  options: InboxConsumerOptions<Tx>,
): InboxConsumer {
  const logger = options.logger ?? silentLogger;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff: BackoffOptions = { initialMs: 200, maxMs: 5_000, ...options.backoff };
  const commitIntervalMs = options.commitIntervalMs ?? 1000;
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? 100);
  const transactionOptions: TransactionOptions = {
    timeout: 30_000,
    maxWait: 10_000,
    ...options.transaction,
  };
  const tracer = trace.getTracer('@trellis/events');
  const stats: InboxConsumerStats = {
    handled: 0,
    duplicates: 0,
    failedAttempts: 0,
    deadLettered: 0,
  };
  const lagByPartition = new Map<string, { topic: string; partition: number; lag: number }>();
  if (options.topics.length === 0) throw new Error('createInboxConsumer: no topics');
  if (!options.handle === !options.handleBatch)
    throw new Error('createInboxConsumer: give exactly one of handle and handleBatch');
  const handleBatch = options.handleBatch;
  const handleOne = (event: ReceivedEvent, tx: Tx): Promise<void> =>
    handleBatch ? handleBatch([event], tx) : options.handle!(event, tx);
  if (maxAttempts < 1) throw new Error('createInboxConsumer: maxAttempts must be ≥ 1');

  let consumer: EventConsumer | undefined;
  let dlqPublisher: EventPublisher | undefined;
  let gauges:
    { meter: Meter; callback: BatchObservableCallback; observables: Observable[] } | undefined;

  const dlqTopicFor = (topic: string): string | undefined =>
    options.dlq === false ? undefined : (options.dlq?.topicFor ?? dlqTopicName)(topic);

  async function handleInTx(event: ReceivedEvent, tx: Tx, traceCtx: Context): Promise<Outcome> {
    const inserted = await tx.$executeRaw`
      INSERT INTO inbox_events (consumer_group, event_id, topic, partition, "offset", ce_type)
      VALUES (${options.groupId}, ${event.id}, ${event.topic}, ${event.partition},
              ${event.offset}::bigint, ${event.type})
      ON CONFLICT DO NOTHING`;
    if (inserted === 0) return 'duplicate';
    await context.with(traceCtx, () => handleOne(event, tx));
    return 'handled';
  }

  function runOnce(event: ReceivedEvent, traceCtx: Context): Promise<Outcome> {
    return options.prisma.$transaction((tx) => handleInTx(event, tx, traceCtx), transactionOptions);
  }

  /**
   * Several events in one transaction: one statement records them all in the inbox (new ids come
   * back), then the handlers of the new ones run in order. On failure everything is rolled back
   * and the index of the event that failed is reported (that failure counts as its first attempt).
   */
  async function runChunk(
    events: readonly ReceivedEvent[],
  ): Promise<
    { outcomes: Outcome[] } | { failedIndex: number; error: unknown; attributed?: false }
  > {
    let index = 0;
    let inBatchHandler = false;
    try {
      const outcomes = await options.prisma.$transaction(async (tx) => {
        const inserted = await tx.$queryRaw<{ event_id: string }[]>`
          INSERT INTO inbox_events (consumer_group, event_id, topic, partition, "offset", ce_type)
          SELECT ${options.groupId}, u.event_id, u.topic, u.partition, u.off, u.ce_type
            FROM unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.topic)}::text[],
                        ${events.map((e) => e.partition)}::int[], ${events.map((e) => e.offset)}::bigint[],
                        ${events.map((e) => e.type)}::text[])
                 WITH ORDINALITY AS u(event_id, topic, partition, off, ce_type, ord)
           ORDER BY u.ord
          ON CONFLICT DO NOTHING
          RETURNING event_id`;
        const fresh = new Set(inserted.map((r) => r.event_id));
        const out: Outcome[] = [];
        if (handleBatch) {
          const batch: ReceivedEvent[] = [];
          for (const event of events) {
            const isNew = fresh.delete(event.id);
            if (isNew) batch.push(event);
            out.push(isNew ? 'handled' : 'duplicate');
          }
          inBatchHandler = true;
          if (batch.length > 0) await withBatchSpan(batch, () => handleBatch(batch, tx));
          return out;
        }
        for (index = 0; index < events.length; index++) {
          const event = events[index]!;
          // first occurrence of a new id is handled; any other occurrence is a duplicate
          if (fresh.delete(event.id)) {
            await withEventSpan(event, () => handleOne(event, tx));
            out.push('handled');
          } else {
            out.push('duplicate');
          }
        }
        return out;
      }, transactionOptions);
      return { outcomes };
    } catch (error) {
      // A batch handler's failure names no event: every event of the run is handled alone.
      if (inBatchHandler) return { failedIndex: events.length - 1, error, attributed: false };
      return { failedIndex: index, error };
    }
  }

  /** A batch handler call in one consumer span (per-event spans would cost more than the work). */
  function withBatchSpan<R>(events: readonly ReceivedEvent[], fn: () => Promise<R>): Promise<R> {
    const first = events[0]!;
    return tracer.startActiveSpan(
      `process ${first.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { ...spanAttributes(first), 'messaging.batch.message_count': events.length },
      },
      async (span) => {
        const end = startRequestTimer('kafka', first.topic);
        try {
          const result = await fn();
          end({ code: 'ok' });
          return result;
        } catch (error) {
          end({ code: 'error' });
          span.recordException(error instanceof Error ? error : new Error(String(error)));
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /** The handler of one event of a batch transaction, in its own consumer span (+ RED metrics). */
  function withEventSpan<R>(event: ReceivedEvent, fn: () => Promise<R>): Promise<R> {
    return tracer.startActiveSpan(
      `process ${event.topic}`,
      { kind: SpanKind.CONSUMER, attributes: spanAttributes(event) },
      extractTraceContext(event.headers),
      async (span) => {
        const end = startRequestTimer('kafka', event.topic);
        try {
          const result = await fn();
          end({ code: 'ok' });
          return result;
        } catch (error) {
          end({ code: 'error' });
          span.recordException(error instanceof Error ? error : new Error(String(error)));
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  function spanAttributes(event: ReceivedEvent): Record<string, string | number> {
    return {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': event.topic,
      'messaging.destination.partition.id': String(event.partition),
      'messaging.kafka.offset': Number(event.offset),
      'messaging.message.id': event.id,
      'messaging.consumer.group.name': options.groupId,
      'cloudevents.event_type': event.type,
    };
  }

  async function handleWithSpan(event: ReceivedEvent): Promise<Outcome> {
    const parent = extractTraceContext(event.headers);
    return tracer.startActiveSpan(
      `process ${event.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': event.topic,
          'messaging.destination.partition.id': String(event.partition),
          'messaging.kafka.offset': Number(event.offset),
          'messaging.message.id': event.id,
          'messaging.consumer.group.name': options.groupId,
          'cloudevents.event_type': event.type,
        },
      },
      parent,
      async (span) => {
        const end = startRequestTimer('kafka', event.topic);
        try {
          const outcome = await runOnce(event, trace.setSpan(parent, span));
          end({ code: 'ok' });
          return outcome;
        } catch (error) {
          end({ code: 'error' });
          span.recordException(error instanceof Error ? error : new Error(String(error)));
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  async function deadLetter(
    message: ConsumedMessage,
    event: ReceivedEvent | undefined,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    const topic = dlqTopicFor(message.topic);
    const reason = errorMessage(error).slice(0, 4000);
    if (!topic || !dlqPublisher) {
      throw new Error(
        `giving up on ${message.topic}/${message.partition}@${message.offset} after ${attempts} attempts (no DLQ): ${reason}`,
      );
    }
    const original = stringHeaders(message.headers);
    const key = message.key === null ? null : Buffer.from(message.key).toString('utf8');
    // 1. record it (fails fast, before anything reaches the DLQ, if the database is down)
    await options.prisma.$executeRaw`
      INSERT INTO dead_letter_events
        (id, consumer_group, event_id, topic, partition, "offset", key, ce_type, error, attempts,
         headers, payload)
      VALUES (${randomUUID()}::uuid, ${options.groupId}, ${event?.id ?? null}, ${message.topic},
              ${message.partition}, ${message.offset}::bigint, ${key}, ${event?.type ?? null},
              ${reason}, ${attempts}, ${JSON.stringify(original)}::jsonb,
              ${message.value === null ? null : Buffer.from(message.value)})
      ON CONFLICT DO NOTHING`;
    // 2. publish it with its error
    await dlqPublisher.publish([
      {
        topic,
        key,
        value: message.value ?? new Uint8Array(),
        headers: {
          ...original,
          [DLQ_HEADERS.topic]: message.topic,
          [DLQ_HEADERS.partition]: String(message.partition),
          [DLQ_HEADERS.offset]: message.offset,
          [DLQ_HEADERS.group]: options.groupId,
          [DLQ_HEADERS.error]: reason,
          [DLQ_HEADERS.attempts]: String(attempts),
          [DLQ_HEADERS.failedAt]: new Date().toISOString(),
        },
      },
    ]);
    // 3. remember it as done, so a redelivery does not dead-letter it again
    if (event) {
      await options.prisma.$executeRaw`
        INSERT INTO inbox_events (consumer_group, event_id, topic, partition, "offset", ce_type)
        VALUES (${options.groupId}, ${event.id}, ${event.topic}, ${event.partition},
                ${event.offset}::bigint, ${event.type})
        ON CONFLICT DO NOTHING`;
    }
    stats.deadLettered += 1;
    logger.error(
      {
        groupId: options.groupId,
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

  /** Handle one message to completion; returns false when stopping before it was finished. */
  async function processMessage(
    message: ConsumedMessage,
    control: BatchControl,
    /** Failure of a first attempt made in a batch transaction. */
    firstFailure?: unknown,
  ): Promise<boolean> {
    let event: ReceivedEvent;
    try {
      event = toReceivedEvent(message);
    } catch (error) {
      await deadLetter(message, undefined, error, 1);
      return true;
    }
    for (let attempt = 1; ; attempt++) {
      let outcome: Outcome;
      try {
        if (attempt === 1 && firstFailure !== undefined) throw firstFailure;
        outcome = await handleWithSpan(event);
      } catch (error) {
        stats.failedAttempts += 1;
        const poison = error instanceof PoisonMessageError;
        if (poison || attempt >= maxAttempts) {
          await deadLetter(message, event, error, attempt);
          return true;
        }
        logger.warn(
          {
            groupId: options.groupId,
            topic: event.topic,
            partition: event.partition,
            offset: event.offset,
            eventId: event.id,
            attempt,
            error: errorMessage(error),
          },
          'event handler failed; retrying',
        );
        await sleep(backoffDelay(attempt, backoff));
        if (!control.isRunning() || control.isStale()) return false;
        await control.heartbeat();
        continue;
      }
      if (outcome === 'handled') stats.handled += 1;
      else stats.duplicates += 1;
      await options.afterTransaction?.(event, outcome);
      return true;
    }
  }

  async function eachBatch(batch: ConsumedBatch, control: BatchControl): Promise<void> {
    let lastCommit = Date.now();
    let lastDone: string | undefined;
    const done = async (message: ConsumedMessage): Promise<void> => {
      control.markDone(message.offset);
      lastDone = message.offset;
      if (Date.now() - lastCommit >= commitIntervalMs) {
        await control.commit();
        await control.heartbeat();
        lastCommit = Date.now();
      }
    };
    const messages = batch.messages;
    let i = 0;
    outer: while (i < messages.length) {
      if (!control.isRunning() || control.isStale()) break;
      // A run of decodable messages, handled together in one transaction.
      const run: Array<{ message: ConsumedMessage; event: ReceivedEvent }> = [];
      while (i + run.length < messages.length && run.length < maxBatchSize) {
        const message = messages[i + run.length]!;
        let event: ReceivedEvent;
        try {
          event = toReceivedEvent(message);
        } catch {
          break;
        }
        run.push({ message, event });
      }
      if (run.length > 1) {
        const result = await runChunk(run.map((r) => r.event));
        if ('outcomes' in result) {
          const outcomes = result.outcomes;
          for (let k = 0; k < run.length; k++) {
            const outcome = outcomes[k]!;
            if (outcome === 'handled') stats.handled += 1;
            else stats.duplicates += 1;
            await options.afterTransaction?.(run[k]!.event, outcome);
            await done(run[k]!.message);
          }
          i += run.length;
          continue;
        }
        logger.debug(
          {
            groupId: options.groupId,
            topic: batch.topic,
            partition: batch.partition,
            size: run.length,
            failedOffset: run[result.failedIndex]?.message.offset,
            error: errorMessage(result.error),
          },
          'batch transaction failed; handling its events one by one',
        );
        for (let k = 0; k <= result.failedIndex && k < run.length; k++) {
          const r = run[k]!;
          if (!control.isRunning() || control.isStale()) break outer;
          const firstFailure =
            k === result.failedIndex && !('attributed' in result) ? result.error : undefined;
          if (!(await processMessage(r.message, control, firstFailure))) break outer;
          await done(r.message);
          i += 1;
        }
        continue;
      }
      const message = messages[i]!;
      if (!(await processMessage(message, control))) break;
      await done(message);
      i += 1;
    }
    await control.commit();
    if (lastDone !== undefined) {
      const lag = Number(BigInt(batch.highWatermark) - BigInt(lastDone) - 1n);
      lagByPartition.set(`${batch.topic}:${batch.partition}`, {
        topic: batch.topic,
        partition: batch.partition,
        lag: Math.max(0, lag),
      });
    }
  }

  function registerGauges(): void {
    const meter = metrics.getMeter('@trellis/events');
    const lagGauge = meter.createObservableGauge('trellis.events.consumer.lag', {
      description: 'Messages behind the high watermark, per partition, as of the last batch',
    });
    const callback: BatchObservableCallback = (observer) => {
      for (const l of lagByPartition.values()) {
        observer.observe(lagGauge, l.lag, {
          group: options.groupId,
          topic: l.topic,
          partition: l.partition,
        });
      }
    };
    meter.addBatchObservableCallback(callback, [lagGauge]);
    gauges = { meter, callback, observables: [lagGauge] };
  }

  async function stopConsumer(): Promise<void> {
    const c = consumer;
    consumer = undefined;
    if (gauges) {
      gauges.meter.removeBatchObservableCallback(gauges.callback, gauges.observables);
      gauges = undefined;
    }
    await c?.stop();
    await dlqPublisher?.disconnect();
    dlqPublisher = undefined;
  }

  return {
    stats,
    async start() {
      if (consumer) return;
      try {
        if (options.dlq !== false) {
          dlqPublisher = options.bus.publisher({ idempotent: true });
          await dlqPublisher.connect();
        }
        consumer = options.bus.consumer({
          groupId: options.groupId,
          concurrency: options.concurrency ?? 3,
          ...(options.sessionTimeoutMs ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
          fromBeginning: options.fromBeginning ?? true,
        });
        if (options.metrics ?? true) registerGauges();
        await consumer.run({ topics: options.topics, eachBatch });
      } catch (error) {
        // Undo, so start() can be called again (the caller retries while Kafka is unreachable).
        await stopConsumer().catch(() => undefined);
        throw error;
      }
    },
    stop: () => stopConsumer(),
    lag() {
      if (!consumer) return Promise.resolve([]);
      return consumer.lag();
    },
  };
}
