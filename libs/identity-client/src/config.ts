import { z } from 'zod';

/** The configuration keys of a platform that looks patients up in identity (PlatformModuleConfig). */
export const identityClientConfig = {
  /** identity's gRPC address (host:port) for GetPatient (deploy/local/ports.env). */
  IDENTITY_GRPC_ADDR: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'),
  IDENTITY_DEADLINE_MS: z.coerce.number().int().min(50).max(30_000).default(2000),
};
