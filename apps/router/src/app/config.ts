import { baseConfigSchema, requiredKafkaConfig, serviceDatabaseConfig } from '@trellis/service-kit';
import { DEFAULT_REGIONS, TOPICS } from '@trellis/events';
import { z } from 'zod';

const csv = (fallback: readonly string[]) =>
  z
    .string()
    .optional()
    .transform((s) =>
      s === undefined || s.trim() === ''
        ? [...fallback]
        : s
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
    );

/** Router configuration: validated at boot, every problem reported at once. */
export const routerConfigSchema = baseConfigSchema.extend({
  ...serviceDatabaseConfig('router'),
  ...requiredKafkaConfig,
  /** Domain topics the router derives the regional streams from. */
  ROUTER_TOPICS: csv([
    TOPICS.identityPatient.name,
    TOPICS.appointmentsAppointment.name,
    TOPICS.referralsReferral.name,
    TOPICS.resultsReport.name,
  ]),
  ROUTER_GROUP: z.string().min(1).default('trellis.router.regions'),
  /** The platform's region table: a region outside it is never given a stream (logged). */
  TRELLIS_REGIONS: csv(DEFAULT_REGIONS).pipe(
    z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'region codes are lower-case-with-dashes')),
  ),
  /** Publish the outbox to Kafka from this process (one leader per schema). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
});

export type RouterConfig = z.output<typeof routerConfigSchema>;
