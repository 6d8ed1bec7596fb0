import type { BackoffOptions } from '../backoff';
import type { ReceivedEvent } from '../cloudevents';
import type { EventsLogger } from '../logger';
import type { EventBus, PartitionLag } from '../port';
import type { RawSqlClient, TransactionalClient, TransactionOptions } from '../sql-client';

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

/** What became of one event: handled now, or already in the inbox. */
export type InboxOutcome = 'handled' | 'duplicate';
