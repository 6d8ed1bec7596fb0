import {
  baseConfigSchema,
  gatewayUrlConfig,
  requiredKafkaConfig,
  serviceDatabaseConfig,
} from '@trellis/service-kit';
import { z } from 'zod';

/** The configuration keys of a platform that looks patients up in identity (PlatformModuleConfig). */
export const identityClientConfig = {
  /** identity's gRPC address (host:port) for GetPatient (deploy/local/ports.env). */
  IDENTITY_GRPC_ADDR: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'),
  IDENTITY_DEADLINE_MS: z.coerce.number().int().min(50).max(30_000).default(2000),
};

/**
 * The configuration every platform that looks patients up in identity starts from (a platform
 * `.extend`s it with its own keys): the kit's base keys, its database schema (pool of 20), Kafka
 * (required), the gateway's URL, identity's address and the outbox relay switch.
 */
export function platformConfigSchema(service: string) {
  return baseConfigSchema.extend({
    ...serviceDatabaseConfig(service, 20),
    ...requiredKafkaConfig,
    ...gatewayUrlConfig,
    ...identityClientConfig,
    /** Publish the outbox to Kafka from this process (one leader per schema). */
    OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
  });
}
