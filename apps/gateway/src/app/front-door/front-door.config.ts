import { z } from 'zod';

/** The gRPC front door's environment (merged into the gateway's env schema). */
export const FRONT_DOOR_ENV_SHAPE = {
  /** Port of the front door (local systems' gRPC); unset = no gRPC door for local systems. */
  FRONTDOOR_GRPC_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Host to bind (default GRPC_HOST). */
  FRONTDOOR_GRPC_HOST: z.string().min(1).optional(),
  /** Longest deadline forwarded to a platform (a client's shorter deadline is kept). */
  FRONTDOOR_DEADLINE_MS: z.coerce.number().int().min(50).max(60_000).default(10_000),
};

export interface FrontDoorConfig {
  host: string;
  port: number | undefined;
  deadlineMs: number;
}

export const FRONT_DOOR_CONFIG = Symbol('FRONT_DOOR_CONFIG');
