import { z } from 'zod';

/** The scorecards' environment (merged into the gateway's env schema). */
export const SCORECARD_ENV_SHAPE = {
  /** The conformance service's gRPC address (host:port); unset = scorecards not served. */
  CONFORMANCE_GRPC_ADDR: z.string().min(1).optional(),
  /** Deadline of one scorecard call. */
  CONFORMANCE_DEADLINE_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
};
