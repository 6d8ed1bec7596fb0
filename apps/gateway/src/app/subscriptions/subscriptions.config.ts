import { z } from 'zod';

/** The subscriptions' environment (merged into the gateway's env schema). */
export const SUBSCRIPTION_ENV_SHAPE = {
  /** The notifications service's gRPC address (host:port); unset = Subscription not served. */
  NOTIFICATIONS_GRPC_ADDR: z.string().min(1).optional(),
  /** Deadline of one notifications call. */
  NOTIFICATIONS_DEADLINE_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
};
