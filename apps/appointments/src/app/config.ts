import { baseConfigSchema } from '@trellis/platform';
import { z } from 'zod';

import { isOrganisationType, type OrganisationType } from './domain/organisation';

/** "RTH=nhs-trust,FA123=pharmacy" → map; refuses unknown types. */
const organisationTypeOverrides = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const out: Record<string, OrganisationType> = {};
    for (const pair of s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      const [code, type] = pair.split('=').map((x) => x.trim());
      if (!code || !type || !isOrganisationType(type)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected ODS=type pairs, got ${JSON.stringify(pair)}`,
        });
        continue;
      }
      out[code] = type;
    }
    return out;
  });

/** Appointments configuration: validated at boot, every problem reported at once. */
export const appointmentsConfigSchema = baseConfigSchema.extend({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('appointments'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  KAFKA_BROKERS: baseConfigSchema.shape.KAFKA_BROKERS.unwrap(),
  /** The gateway's base URL: default token issuer, and its /.well-known/jwks.json (deploy/local/ports.env). */
  GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** identity's gRPC address (host:port) for GetPatient (deploy/local/ports.env). */
  IDENTITY_GRPC_ADDR: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'),
  IDENTITY_DEADLINE_MS: z.coerce.number().int().min(50).max(30_000).default(2000),
  /** Organisation types for ODS codes whose shape does not say (ODS=type,...). */
  ORGANISATION_TYPES: organisationTypeOverrides,
  /** Publish the outbox to Kafka from this process (one leader per schema). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
  /** Consume identity events (PatientDeceased, PatientMerged). */
  IDENTITY_EVENTS_ENABLED: z.stringbool().default(true),
  IDENTITY_EVENTS_TOPIC: z.string().default('trellis.identity.patient.v1'),
  IDENTITY_EVENTS_GROUP: z.string().default('trellis.appointments.identity-events'),
});

export type AppointmentsConfig = z.output<typeof appointmentsConfigSchema>;
