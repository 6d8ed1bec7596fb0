import { platformConfigSchema } from '@trellis/identity-client';
import { z } from 'zod';

/** Results configuration: validated at boot, every problem reported at once. */
export const resultsConfigSchema = platformConfigSchema('results').extend({
  /** How long an "active patient" answer from identity is reused (0 = ask every time). */
  IDENTITY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
});

export type ResultsConfig = z.output<typeof resultsConfigSchema>;
