import { baseConfigSchema } from '@trellis/platform';
import { z } from 'zod';

/** Results configuration: validated at boot, every problem reported at once. */
export const resultsConfigSchema = baseConfigSchema.extend({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('results'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  KAFKA_BROKERS: baseConfigSchema.shape.KAFKA_BROKERS.unwrap(),
  /** The gateway's base URL: default token issuer, and its /.well-known/jwks.json. */
  GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** identity's gRPC address (host:port) for GetPatient. */
  IDENTITY_GRPC_ADDR: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'),
  IDENTITY_DEADLINE_MS: z.coerce.number().int().min(50).max(30_000).default(2000),
  /** How long an "active patient" answer from identity is reused (0 = ask every time). */
  IDENTITY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** Publish the outbox to Kafka from this process (one leader per schema). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
});

export type ResultsConfig = z.output<typeof resultsConfigSchema>;
