import { identityClientConfig } from '@trellis/identity-client';
import {
  baseConfigSchema,
  gatewayUrlConfig,
  requiredKafkaConfig,
  serviceDatabaseConfig,
} from '@trellis/service-kit';
import { z } from 'zod';

/** Results configuration: validated at boot, every problem reported at once. */
export const resultsConfigSchema = baseConfigSchema.extend({
  ...serviceDatabaseConfig('results', 20),
  ...requiredKafkaConfig,
  ...gatewayUrlConfig,
  ...identityClientConfig,
  /** How long an "active patient" answer from identity is reused (0 = ask every time). */
  IDENTITY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** Publish the outbox to Kafka from this process (one leader per schema). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
});

export type ResultsConfig = z.output<typeof resultsConfigSchema>;
