import { context, trace, type Context } from '@opentelemetry/api';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff';
import { toReceivedEvent, type ReceivedEvent } from '../cloudevents';
import { errorMessage, PoisonMessageError } from '../errors';
import { silentLogger } from '../logger';
import type {
  BatchControl,
  ConsumedBatch,
  ConsumedMessage,
  EventConsumer,
  EventPublisher,
} from '../port';
import type { RawSqlClient, TransactionOptions } from '../sql-client';
import { dlqTopicName } from '../topics';
import { extractTraceContext } from '../trace';
import { registerConsumerLagGauge, type PartitionLagSample } from './consumer-lag-gauge';
import {
  consumerSpanAttributes,
  inConsumerSpan,
  withBatchSpan,
  withEventSpan,
} from './consumer-spans';
import { deadLetter, type DeadLetterContext } from './dead-letter';
import type {
  InboxConsumer,
  InboxConsumerOptions,
  InboxConsumerStats,
  InboxOutcome,
} from './inbox-options';
import { recordAllInInbox, recordInInbox } from './inbox-rows';
import { sameTurnBatcher } from './same-turn-batcher';

type RunResult =
  { outcomes: InboxOutcome[] } | { failedIndex: number; error: unknown; attributed?: false };

export { DLQ_HEADERS } from './dead-letter';
export type { InboxConsumer, InboxConsumerOptions, InboxConsumerStats } from './inbox-options';

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
  const stats: InboxConsumerStats = {
    handled: 0,
    duplicates: 0,
    failedAttempts: 0,
    deadLettered: 0,
  };
  const lagByPartition = new Map<string, PartitionLagSample>();
  if (options.topics.length === 0) throw new Error('createInboxConsumer: no topics');
  if (!options.handle === !options.handleBatch)
    throw new Error('createInboxConsumer: give exactly one of handle and handleBatch');
  const handleBatch = options.handleBatch;
  const handleOne = (event: ReceivedEvent, tx: Tx): Promise<void> =>
    handleBatch ? handleBatch([event], tx) : options.handle!(event, tx);
  if (maxAttempts < 1) throw new Error('createInboxConsumer: maxAttempts must be ≥ 1');

  let consumer: EventConsumer | undefined;
  let dlqPublisher: EventPublisher | undefined;
  let unregisterGauge: (() => void) | undefined;

  const dlqTopicFor = (topic: string): string | undefined =>
    options.dlq === false ? undefined : (options.dlq?.topicFor ?? dlqTopicName)(topic);

  async function handleInTx(
    event: ReceivedEvent,
    tx: Tx,
    traceCtx: Context,
  ): Promise<InboxOutcome> {
    const inserted = await recordInInbox(tx, options.groupId, event);
    if (inserted === 0) return 'duplicate';
    await context.with(traceCtx, () => handleOne(event, tx));
    return 'handled';
  }

  function runOnce(event: ReceivedEvent, traceCtx: Context): Promise<InboxOutcome> {
    return options.prisma.$transaction((tx) => handleInTx(event, tx, traceCtx), transactionOptions);
  }

  /**
   * The handlers of one partition's run, inside a transaction whose inbox statement reported the
   * ids in `fresh` as new: the first occurrence of a new id is handled, any other is a duplicate.
   * `progress` tells a failure's caller which event (or the batch handler) was running.
   */
  async function handleRun(
    tx: Tx,
    events: readonly ReceivedEvent[],
    fresh: Set<string>,
    progress: { index: number; inBatchHandler: boolean },
  ): Promise<InboxOutcome[]> {
    const out: InboxOutcome[] = [];
    if (handleBatch) {
      const batch: ReceivedEvent[] = [];
      for (const event of events) {
        const isNew = fresh.delete(event.id);
        if (isNew) batch.push(event);
        out.push(isNew ? 'handled' : 'duplicate');
      }
      progress.inBatchHandler = true;
      if (batch.length > 0)
        await withBatchSpan(batch, options.groupId, () => handleBatch(batch, tx));
      return out;
    }
    for (progress.index = 0; progress.index < events.length; progress.index++) {
      const event = events[progress.index]!;
      if (fresh.delete(event.id)) {
        await withEventSpan(event, options.groupId, () => handleOne(event, tx));
        out.push('handled');
      } else {
        out.push('duplicate');
      }
    }
    return out;
  }

  /**
   * A run of events in one transaction: one statement records them all in the inbox (new ids come
   * back), then the handlers of the new ones run in order. On failure everything is rolled back
   * and the index of the event that failed is reported (that failure counts as its first attempt).
   */
  async function runChunk(events: readonly ReceivedEvent[]): Promise<RunResult> {
    const progress = { index: 0, inBatchHandler: false };
    try {
      const outcomes = await options.prisma.$transaction(async (tx) => {
        const fresh = new Set(await recordAllInInbox(tx, options.groupId, events));
        return handleRun(tx, events, fresh, progress);
      }, transactionOptions);
      return { outcomes };
    } catch (error) {
      // A batch handler's failure names no event (unless it had one): each is handled alone.
      if (progress.inBatchHandler && events.length > 1)
        return { failedIndex: events.length - 1, error, attributed: false };
      return { failedIndex: progress.index, error };
    }
  }

  /** Several partitions' runs in one transaction; if it fails, each run in its own (runChunk). */
  async function runShared(runs: ReadonlyArray<readonly ReceivedEvent[]>): Promise<RunResult[]> {
    try {
      return await options.prisma.$transaction(async (tx) => {
        const fresh = new Set(await recordAllInInbox(tx, options.groupId, runs.flat()));
        const results: RunResult[] = [];
        for (const run of runs) {
          const progress = { index: 0, inBatchHandler: false };
          results.push({ outcomes: await handleRun(tx, run, fresh, progress) });
        }
        return results;
      }, transactionOptions);
    } catch (error) {
      logger.debug(
        { groupId: options.groupId, runs: runs.length, error: errorMessage(error) },
        'shared transaction failed; each run in its own',
      );
      return Promise.all(runs.map(runChunk));
    }
  }

  /**
   * The runs that partitions hand in during one turn share transactions of up to `maxBatchSize`
   * events (one inbox statement, one COMMIT): far fewer transactions when many partitions carry a
   * few events each, while full runs (a backlog) keep their own transactions, in parallel. Each
   * run's events stay in order. If a shared transaction fails, nothing of it is kept and each of
   * its runs is tried again in its own transaction, so one event's failure never changes another's
   * outcome, and the shared try does not count as an attempt.
   */
  const runGrouped = sameTurnBatcher<readonly ReceivedEvent[], RunResult>(async (runs) => {
    const groups: Array<Array<readonly ReceivedEvent[]>> = [];
    let size = Infinity;
    for (const run of runs) {
      if (size + run.length > maxBatchSize) {
        groups.push([]);
        size = 0;
      }
      groups[groups.length - 1]!.push(run);
      size += run.length;
    }
    const results = await Promise.all(
      groups.map((group) =>
        group.length === 1 ? runChunk(group[0]!).then((r) => [r]) : runShared(group),
      ),
    );
    return results.flat();
  });

  function handleWithSpan(event: ReceivedEvent): Promise<InboxOutcome> {
    const parent = extractTraceContext(event.headers);
    return inConsumerSpan(
      event.topic,
      consumerSpanAttributes(event, options.groupId),
      parent,
      (span) => runOnce(event, trace.setSpan(parent, span)),
    );
  }

  const deadLetterContext = (): DeadLetterContext => ({
    groupId: options.groupId,
    prisma: options.prisma,
    dlqTopicFor,
    publisher: dlqPublisher,
    stats,
    logger,
  });

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
      await deadLetter(deadLetterContext(), message, undefined, error, 1);
      return true;
    }
    for (let attempt = 1; ; attempt++) {
      let outcome: InboxOutcome;
      try {
        if (attempt === 1 && firstFailure !== undefined) throw firstFailure;
        outcome = await handleWithSpan(event);
      } catch (error) {
        stats.failedAttempts += 1;
        const poison = error instanceof PoisonMessageError;
        if (poison || attempt >= maxAttempts) {
          await deadLetter(deadLetterContext(), message, event, error, attempt);
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
      if (run.length > 0) {
        const result = await runGrouped(run.map((r) => r.event));
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

  async function stopConsumer(): Promise<void> {
    const c = consumer;
    consumer = undefined;
    unregisterGauge?.();
    unregisterGauge = undefined;
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
        if (options.metrics ?? true)
          unregisterGauge = registerConsumerLagGauge(options.groupId, lagByPartition);
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
