import { toPoolConfig } from '@trellis/database';
import { Client, type Notification, type QueryResult, type QueryResultRow } from 'pg';
import { backoffDelay, sleep } from '../backoff';
import { errorMessage } from '../errors';
import { silentLogger, type EventsLogger } from '../logger';
import { OUTBOX_CHANNEL } from './outbox';
import { outboxRowToMessage, type OutboxRow } from './outbox-row';
import { registerOutboxGauges } from './relay-gauges';
import type { OutboxLag, OutboxRelayOptions, OutboxRelayStats } from './relay-options';
import {
  FETCH_BATCH_SQL,
  LAG_SQL,
  MARK_SENT_SQL,
  PURGE_SENT_SQL,
  RECORD_FAILURE_SQL,
  RELAY_LOCK_PREFIX,
  RELEASE_LEADER_LOCK_SQL,
  RELAY_SESSION_SQL,
  TRY_LEADER_LOCK_SQL,
} from './relay-queries';
import { publishTraced } from './traced-publish';

export { outboxRowToMessage } from './outbox-row';
export type { OutboxLag, OutboxRelayOptions, OutboxRelayStats } from './relay-options';
export { publishTraced } from './traced-publish';

const PURGE_INTERVAL_MS = 60_000;

/**
 * Publishes a service's outbox to Kafka.
 *
 * - One active relay per schema: the leader holds a session advisory lock on its own connection;
 *   other pods wait and take over when that connection ends (crash, SIGKILL, network loss).
 * - Reads unsent rows in `seq` order and publishes them with the idempotent producer, two batches
 *   in flight at most, never with a key in common: a key's next rows are read only after its
 *   batch was acknowledged, so each key's events reach Kafka in outbox order. A batch is marked
 *   sent after its ack; a crash between publish and mark re-publishes it (at-least-once; inboxes
 *   de-duplicate by ce_id, which is the outbox row id).
 * - A failing topic is retried with exponential backoff and set aside meanwhile, so other topics
 *   keep flowing (order is per key, and a key belongs to one topic).
 * - Wakes on NOTIFY trellis_outbox (sent by enqueue at commit), polls as a safety net.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly leaderRetryMs: number;
  private readonly retentionMs: number;
  private readonly logger: EventsLogger;
  private client: Client | undefined;
  private leader = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private stopController = new AbortController();
  private flushWaiters: Array<(flushed: boolean) => void> = [];
  private readonly blockedTopics = new Map<
    string,
    { until: number; failures: number; epoch: number }
  >();
  /** Counts publish failures; a batch remembers the count when it was handed over. */
  private failureEpoch = 0;
  private lastPurge = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private unregisterGauges: (() => void) | undefined;
  readonly stats: OutboxRelayStats = {
    published: 0,
    batches: 0,
    failedPublishes: 0,
    leader: false,
  };

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leaderRetryMs = options.leaderRetryMs ?? 2000;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 60 * 60 * 1000;
    this.logger = options.logger ?? silentLogger;
  }

  /** Connect and start relaying (leadership may come later). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopController = new AbortController();
    try {
      await this.options.publisher.connect();
    } catch (error) {
      this.running = false; // start() may be called again (the caller retries while Kafka is down)
      throw error;
    }
    if (this.options.metrics ?? true) {
      this.unregisterGauges = registerOutboxGauges(this.options.schema, () =>
        this.running && this.leader && this.client ? this.lag() : undefined,
      );
    }
    this.loop = this.run();
  }

  isLeader(): boolean {
    return this.leader;
  }

  /**
   * Publish everything pending now. Resolves true once this relay (the leader) saw the outbox
   * empty, false when this relay is not the leader or on timeout.
   */
  flush(timeoutMs = 10_000): Promise<boolean> {
    if (!this.running || !this.leader) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.flushWaiters = this.flushWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = (flushed: boolean): void => {
        clearTimeout(timer);
        resolve(flushed);
      };
      this.flushWaiters.push(waiter);
      this.wake();
    });
  }

  /** Stop after the current batch (optionally flushing first), release the lock, disconnect. */
  async stop(options: { flush?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (!this.running) return;
    if (options.flush) await this.flush(options.timeoutMs ?? 10_000);
    this.running = false;
    this.stopController.abort();
    this.wake();
    await this.loop;
    this.unregisterGauges?.();
    this.unregisterGauges = undefined;
    for (const w of this.flushWaiters.splice(0)) w(false);
    await this.disconnect();
  }

  /** Unsent rows and the age of the oldest (any pod can ask; uses this relay's connection). */
  async lag(): Promise<OutboxLag> {
    let client = this.client;
    let temporary: Client | undefined;
    if (!client) {
      temporary = new Client(
        toPoolConfig({ url: this.options.databaseUrl, schema: this.options.schema }),
      );
      await temporary.connect();
      client = temporary;
    }
    const res = await this.query<{ unsent: string; oldest_ms: string | null }>(
      client,
      LAG_SQL,
    ).finally(() => temporary?.end());
    const row = res.rows[0];
    return {
      unsent: Number(row?.unsent ?? 0),
      oldestAgeMs: row?.oldest_ms == null ? null : Number(row.oldest_ms),
    };
  }

  /**
   * Queries on the relay's connection run one after another (the read-ahead and lag() may be
   * issued while another query is in flight; pg is moving away from queueing them itself).
   */
  private query<R extends QueryResultRow>(
    client: Client,
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    const result = this.queue.then(() => client.query<R>(text, values));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  private waitForWork(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.pendingWake = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      ...toPoolConfig({ url: this.options.databaseUrl, schema: this.options.schema }),
      application_name: `trellis-outbox-relay:${this.options.schema}`,
      keepAlive: true,
    });
    client.on('error', (error: Error) => {
      this.logger.warn({ err: error, schema: this.options.schema }, 'outbox relay connection lost');
      if (this.client === client) {
        this.client = undefined;
        this.setLeader(false);
      }
      this.wake();
    });
    client.on('notification', (msg: Notification) => {
      if (msg.channel === OUTBOX_CHANNEL && msg.payload === this.options.schema) this.wake();
    });
    await client.connect();
    await this.query(client, `LISTEN ${client.escapeIdentifier(OUTBOX_CHANNEL)}`);
    await this.query(client, RELAY_SESSION_SQL);
    this.client = client;
    return client;
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      if (this.leader) {
        await this.query(client, RELEASE_LEADER_LOCK_SQL, [
          RELAY_LOCK_PREFIX + this.options.schema,
        ]);
      }
    } catch {
      // the lock goes with the session anyway
    } finally {
      this.setLeader(false);
      await client.end().catch(() => undefined);
    }
  }

  private setLeader(leader: boolean): void {
    if (leader !== this.leader) {
      this.logger.info(
        { schema: this.options.schema, leader },
        leader ? 'outbox relay is leader' : 'outbox relay is follower',
      );
    }
    this.leader = leader;
    this.stats.leader = leader;
    if (!leader) for (const w of this.flushWaiters.splice(0)) w(false);
  }

  private async run(): Promise<void> {
    let connectFailures = 0;
    while (this.running) {
      try {
        const client = this.client ?? (await this.connect());
        connectFailures = 0;
        if (!this.leader) {
          const res = await this.query<{ ok: boolean }>(client, TRY_LEADER_LOCK_SQL, [
            RELAY_LOCK_PREFIX + this.options.schema,
          ]);
          this.setLeader(res.rows[0]?.ok === true);
          if (!this.leader) {
            await sleep(this.leaderRetryMs, this.stopController.signal);
            continue;
          }
        }
        const idle = await this.relayUntilIdle(client);
        if (idle) {
          for (const w of this.flushWaiters.splice(0)) w(true);
          await this.purge(client);
        }
        if (this.running) await this.waitForWork(this.nextWaitMs());
      } catch (error) {
        connectFailures += 1;
        this.logger.error({ err: error, schema: this.options.schema }, 'outbox relay error');
        const client = this.client;
        this.client = undefined;
        this.setLeader(false);
        await client?.end().catch(() => undefined);
        await sleep(
          backoffDelay(connectFailures, this.options.backoff),
          this.stopController.signal,
        );
      }
    }
  }

  private nextWaitMs(): number {
    let wait = this.pollIntervalMs;
    const now = Date.now();
    for (const b of this.blockedTopics.values()) wait = Math.min(wait, Math.max(0, b.until - now));
    return wait;
  }

  private async fetchBatch(client: Client, inFlight: readonly string[]): Promise<OutboxRow[]> {
    const now = Date.now();
    const blocked = [...this.blockedTopics].filter(([, b]) => b.until > now).map(([t]) => t);
    const { rows } = await this.query<OutboxRow>(client, FETCH_BATCH_SQL, [
      this.batchSize,
      blocked,
      inFlight,
    ]);
    return rows;
  }

  /** Hand a batch to the publisher now; its outcome is awaited by settle(). */
  private send(rows: OutboxRow[]): BatchInFlight {
    const published = publishTraced(this.options.publisher, rows.map(outboxRowToMessage));
    published.catch(() => undefined); // settled (and its error handled) by settle()
    return {
      rows,
      seqs: rows.map((r) => r.seq),
      keys: new Set(rows.map(keyOf)),
      published,
      failureEpoch: this.failureEpoch,
    };
  }

  /**
   * Publish batches until the outbox is empty (returns true), or stop / a failure (false).
   * Pipelined, two batches deep: batch N+1 is read (excluding N's rows), mapped and handed to the
   * producer while N waits for its ack, without the rows whose key (null counts as one key) is in
   * N: those are held until N is acknowledged, then published as the next batch (read again if N
   * failed). So two requests in flight never carry the same key, and a failure or retry of N
   * cannot reorder any key's events. A batch is marked sent only after its ack; N's mark and the
   * next read are issued in that order on the connection, so that read never returns N's rows.
   */
  private async relayUntilIdle(client: Client): Promise<boolean> {
    let inFlight: BatchInFlight | undefined;
    let next: BatchInFlight | undefined;
    let held: OutboxRow[] = []; // read while inFlight was out, all of its keys: next once it is acked
    let marking: Promise<void> | undefined;
    let backingOff = false;
    try {
      for (;;) {
        next = undefined;
        if (!backingOff && this.running && this.leader) {
          const rows = held.length > 0 ? held : await this.fetchBatch(client, inFlight?.seqs ?? []);
          const [ready, busy] = inFlight ? splitByKeys(rows, inFlight.keys) : [rows, []];
          held = busy;
          if (ready.length > 0) next = this.send(ready);
          else if (!inFlight) {
            await marking;
            return true;
          }
        }
        if (inFlight) {
          const settled = await this.settle(client, inFlight, marking);
          marking = settled.marking;
          // after a failure the held rows may not be the oldest of their keys: read them again
          if (settled.failed) held = [];
          // all failed: back off once what is in flight settled (the failing topics are set aside)
          if (settled.allFailed) backingOff = true;
        }
        inFlight = next;
        next = undefined;
        if (!inFlight && (backingOff || !this.running || !this.leader)) {
          await marking;
          return false;
        }
      }
    } finally {
      // a batch published but not settled stays unsent: the next pass publishes it again
      if (inFlight) await inFlight.published.catch(() => undefined);
      if (next) await next.published.catch(() => undefined);
      if (marking) await marking.catch(() => undefined);
    }
  }

  /**
   * Await a batch's ack (after a failure: retry it topic by topic), then mark what was sent,
   * after the previous mark (a failed mark ends the pass: run() reconnects).
   */
  private async settle(
    client: Client,
    batch: BatchInFlight,
    previousMark: Promise<void> | undefined,
  ): Promise<{ marking: Promise<void> | undefined; failed: boolean; allFailed: boolean }> {
    let sent: OutboxRow[];
    let failed = false;
    try {
      await batch.published;
      sent = batch.rows;
    } catch (error) {
      sent = await this.publishPerTopic(client, batch.rows, error);
      failed = true;
    }
    await previousMark;
    if (sent.length === 0) return { marking: undefined, failed, allFailed: failed };
    this.stats.batches += 1;
    for (const topic of new Set(sent.map((r) => r.topic))) {
      // a topic set aside after this batch was handed over stays aside
      if ((this.blockedTopics.get(topic)?.epoch ?? 0) <= batch.failureEpoch) {
        this.blockedTopics.delete(topic);
      }
    }
    await this.options.afterPublish?.({ size: sent.length, batches: this.stats.batches });
    const marking = this.markSent(client, sent);
    marking.catch(() => undefined); // awaited with the next settle or at the end of the pass
    return { marking, failed, allFailed: false };
  }

  private async markSent(client: Client, sent: readonly OutboxRow[]): Promise<void> {
    await this.query(client, MARK_SENT_SQL, [sent.map((r) => r.seq)]);
    this.stats.published += sent.length;
  }

  /** After a failed batch: retry topic by topic, set failing topics aside with backoff. */
  private async publishPerTopic(
    client: Client,
    rows: OutboxRow[],
    firstError: unknown,
  ): Promise<OutboxRow[]> {
    const byTopic = new Map<string, OutboxRow[]>();
    for (const r of rows) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push(r);
    }
    if (byTopic.size === 1) {
      await this.recordFailure(client, rows, firstError);
      return [];
    }
    const sent: OutboxRow[] = [];
    for (const [, topicRows] of byTopic) {
      try {
        await publishTraced(this.options.publisher, topicRows.map(outboxRowToMessage));
        sent.push(...topicRows);
      } catch (error) {
        await this.recordFailure(client, topicRows, error);
      }
    }
    return sent;
  }

  private async recordFailure(client: Client, rows: OutboxRow[], error: unknown): Promise<void> {
    const topic = rows[0]!.topic;
    const failures = (this.blockedTopics.get(topic)?.failures ?? 0) + 1;
    const delay = backoffDelay(failures, this.options.backoff);
    this.failureEpoch += 1;
    this.blockedTopics.set(topic, {
      until: Date.now() + delay,
      failures,
      epoch: this.failureEpoch,
    });
    this.stats.failedPublishes += 1;
    const message = errorMessage(error);
    this.logger.warn(
      {
        schema: this.options.schema,
        topic,
        rows: rows.length,
        failures,
        retryInMs: delay,
        error: message,
      },
      'outbox publish failed',
    );
    await this.query(client, RECORD_FAILURE_SQL, [rows.map((r) => r.seq), message.slice(0, 2000)]);
  }

  private async purge(client: Client): Promise<void> {
    if (this.retentionMs <= 0 || Date.now() - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = Date.now();
    await this.query(client, PURGE_SENT_SQL, [this.retentionMs]);
  }
}

/** A batch handed to the publisher, not yet settled. */
interface BatchInFlight {
  rows: OutboxRow[];
  seqs: string[];
  /** Its keys (keyOf): rows of these keys wait until it settled. */
  keys: Set<string>;
  published: Promise<void>;
  failureEpoch: number;
}

/** A row's ordering key; a null key counts as one key, '' (keys are never empty: createOutbox). */
const keyOf = (row: Pick<OutboxRow, 'key'>): string => row.key ?? '';

/**
 * `rows` (in order) split into those whose key is not in `busy` and those whose key is: every row
 * of a busy key is held, so none of that key's rows can overtake another.
 */
export function splitByKeys<R extends Pick<OutboxRow, 'key'>>(
  rows: readonly R[],
  busy: ReadonlySet<string>,
): [ready: R[], held: R[]] {
  const ready: R[] = [];
  const held: R[] = [];
  for (const r of rows) (busy.has(keyOf(r)) ? held : ready).push(r);
  return [ready, held];
}

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  return new OutboxRelay(options);
}
