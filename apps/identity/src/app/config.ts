import { baseConfigSchema, serviceDatabaseConfig } from '@trellis/service-kit';
import { z } from 'zod';

/** Identity configuration (validated at boot, all problems at once). */
export const identityConfigSchema = baseConfigSchema.extend({
  ...serviceDatabaseConfig('identity'),
  /** A registration whose best candidate scores at least this is refused as a likely duplicate. */
  IDENTITY_DUPLICATE_THRESHOLD: z.coerce.number().min(0.5).max(1).default(0.85),
  /** Default minimum score of a trace hit. */
  IDENTITY_TRACE_MIN_SCORE: z.coerce.number().min(0.1).max(1).default(0.8),
  /** Fuzzy trace drops hits scoring more than this below the best one (1 disables). */
  IDENTITY_TRACE_DOMINANCE_MARGIN: z.coerce.number().min(0).max(1).default(0.1),
  IDENTITY_TRACE_DEFAULT_MAX: z.coerce.number().int().min(1).max(50).default(10),
  /** NHS number allocation range: name and first/last nine-digit base (default: the 999 test range). */
  NHS_NUMBER_RANGE_NAME: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,40}$/)
    .default('test_999'),
  NHS_NUMBER_RANGE_FIRST: z.coerce.number().int().min(100000000).max(999999999).default(999000000),
  NHS_NUMBER_RANGE_LAST: z.coerce.number().int().min(100000000).max(999999999).default(999999999),
  /** Run the outbox relay in this process (publishes identity events to Kafka). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
});

export type IdentityConfig = z.output<typeof identityConfigSchema>;
