import { z } from 'zod';

/** The scorecards' environment (merged into the gateway's env schema). */
export const SCORECARD_ENV_SHAPE = {
  /** The conformance service's gRPC address (host:port); unset = scorecards not served. */
  CONFORMANCE_GRPC_ADDR: z.string().min(1).optional(),
  /** Deadline of one scorecard call. */
  CONFORMANCE_DEADLINE_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  /** Compliance decisions the gateway enforces (write scopes of a product version's systems). */
  GATEWAY_COMPLIANCE_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default('trellis.conformance.compliance.v1'),
  GATEWAY_COMPLIANCE_GROUP: z.string().min(1).default('trellis.gateway.compliance'),
  /** Follow the compliance decisions (off: enforcement is not applied by this gateway). */
  GATEWAY_COMPLIANCE_ENFORCEMENT: z.stringbool().default(true),
};
