import { DEFAULT_SERVICE_KEY_FILE } from '@trellis/auth';
import {
  baseConfigSchema,
  gatewayUrlConfig,
  requiredKafkaConfig,
  serviceDatabaseConfig,
} from '@trellis/service-kit';
import { TOPICS } from '@trellis/events';
import { z } from 'zod';

/** Audit store configuration: validated at boot, every problem reported at once. */
export const auditConfigSchema = baseConfigSchema.extend({
  ...serviceDatabaseConfig('audit'),
  ...requiredKafkaConfig,
  ...gatewayUrlConfig,
  /** The access-audit topic(s) (comma-separated) and the consumer group storing them. */
  AUDIT_TOPICS: z
    .string()
    .optional()
    .transform((s) =>
      (s ?? TOPICS.auditAccess.name)
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[a-zA-Z0-9._-]+$/)).min(1)),
  /**
   * One group per store: two stores reading different topics must not share it (the group's
   * leader hands every member partitions of every topic the group reads, so a store could be
   * given another's topic and never read its own — the cause of a flaky AuditEvent spec).
   */
  AUDIT_GROUP: z.string().min(1).default('trellis.audit.store'),
  /**
   * Where a new consumer group starts: the beginning of the topic (default: the whole history is
   * the store) or only what arrives from now on (a store that need not hold the past).
   */
  AUDIT_FROM_BEGINNING: z.stringbool().default(true),
  /** Where the citizens' flags go (the organisation's DPO reads it). */
  AUDIT_FLAG_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default(TOPICS.auditFlag.name),
  /**
   * Retention policy: whole months kept before the current one. Partitions entirely older are
   * dropped; events older than that are not stored (default 96 = 8 years).
   */
  AUDIT_RETENTION_MONTHS: z.coerce.number().int().min(1).max(1200).default(96),
  /** Monthly partitions created ahead of the current month. */
  AUDIT_PARTITIONS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
  /** How often partitions are created ahead / dropped past retention. */
  AUDIT_MAINTENANCE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(86_400_000)
    .default(3_600_000),
  /**
   * Inbox rows (ids of handled events) are deleted once this many hours old (0 = kept forever);
   * dedup still holds after the purge — the access rows' keys are the second guard
   * (store/inbox-retention.ts). Runs with the partition maintenance.
   */
  AUDIT_INBOX_RETENTION_HOURS: z.coerce.number().int().min(0).max(876_000).default(168),
  /** Events per ingest transaction (one multi-row INSERT) and partitions ingested in parallel. */
  AUDIT_INGEST_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(1000),
  AUDIT_INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(24).default(3),
  /** Regional stream of a flag: `{region}` is replaced (default the router's regional streams). */
  AUDIT_REGION_TOPIC_TEMPLATE: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*\{region\}[a-zA-Z0-9._-]*$/)
    .default('trellis.region.{region}.v1'),
  /** Shared service-token key ring: the audit store accepts calls only through the gateway. */
  SERVICE_IDENTITY_KEY_FILE: z.string().min(1).default(DEFAULT_SERVICE_KEY_FILE),
  /** Publish the outbox (flag events) to Kafka from this process (one leader per schema). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
});

export type AuditConfig = z.output<typeof auditConfigSchema>;
