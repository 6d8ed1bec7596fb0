import {
  baseConfigSchema,
  gatewayUrlConfig,
  requiredKafkaConfig,
  serviceDatabaseConfig,
} from '@trellis/service-kit';
import { TOPICS } from '@trellis/events';
import { z } from 'zod';

const topicName = z.string().regex(/^[a-zA-Z0-9._-]+$/);

/** Conformance service configuration: validated at boot, every problem reported at once. */
export const conformanceConfigSchema = baseConfigSchema.extend({
  ...serviceDatabaseConfig('conformance'),
  ...requiredKafkaConfig,
  /** The streams counted (comma-separated access topics; overrides for isolated tests). */
  CONFORMANCE_ACCESS_TOPIC: z
    .string()
    .default(TOPICS.auditAccess.name)
    .transform((s) =>
      s
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .pipe(z.array(topicName).min(1)),
  CONFORMANCE_VIOLATION_TOPIC: topicName.default(TOPICS.gatewayConformance.name),
  CONFORMANCE_GROUP: z.string().min(1).default('trellis.conformance.counters'),
  /** Events per counting transaction (one multi-row UPSERT each). */
  CONFORMANCE_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(1000),
  /** Partitions counted in parallel (each its own transactions; rows locked in one order). */
  CONFORMANCE_CONCURRENCY: z.coerce.number().int().min(1).max(24).default(3),
  /** Only access events recorded by this service are counted (the chokepoint: both doors). */
  CONFORMANCE_CHOKEPOINT_SERVICE: z.string().min(1).default('gateway'),
  /** Where compliance decisions are published (ComplianceWarning/Enforced/Restored). */
  CONFORMANCE_COMPLIANCE_TOPIC: topicName.default(TOPICS.conformanceCompliance.name),
  /** The declared policy (JSON, see docs/conformance.md); unset = the shipped national minimum. */
  CONFORMANCE_POLICY_FILE: z.string().min(1).optional(),
  /** How often the policy is evaluated (0 = never: tests drive sweeps themselves). */
  CONFORMANCE_POLICY_INTERVAL_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
  /** The suspension feed followed (the gateway's system topic; overridden by isolated tests). */
  CONFORMANCE_SYSTEM_TOPIC: topicName.optional(),
  ...gatewayUrlConfig,
  /** Publish the outbox to Kafka from this process (one leader per schema). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
});

export type ConformanceConfig = z.output<typeof conformanceConfigSchema>;
