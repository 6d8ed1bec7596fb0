import type { BackoffOptions } from '../backoff';
import type { EventsLogger } from '../logger';
import type { EventPublisher } from '../port';

export interface OutboxRelayOptions {
  /** postgresql:// URL of the service database. */
  databaseUrl: string;
  /** The service's PostgreSQL schema (holds outbox_events). */
  schema: string;
  /** Publisher from the events port (idempotent). The relay connects it; the owner disconnects it. */
  publisher: EventPublisher;
  /** Rows per batch (default 1000). */
  batchSize?: number;
  /** Poll when no NOTIFY arrives (safety net; default 1000 ms). */
  pollIntervalMs?: number;
  /** How often a follower retries to become the leader (default 2000 ms). */
  leaderRetryMs?: number;
  /** Backoff of failed publishes (per topic) and of lost database connections. */
  backoff?: BackoffOptions;
  /** Sent rows older than this are deleted (default 7 days; 0 keeps them). */
  retentionMs?: number;
  logger?: EventsLogger;
  /** Register OpenTelemetry gauges for outbox lag (default true). */
  metrics?: boolean;
  /** Test seam: awaited after a batch is acknowledged by Kafka and before it is marked sent. */
  afterPublish?: (batch: { size: number; batches: number }) => Promise<void>;
}

export interface OutboxLag {
  /** Rows not yet published. */
  unsent: number;
  /** Age of the oldest unsent row in ms (null when none). */
  oldestAgeMs: number | null;
}

export interface OutboxRelayStats {
  published: number;
  batches: number;
  failedPublishes: number;
  leader: boolean;
}
