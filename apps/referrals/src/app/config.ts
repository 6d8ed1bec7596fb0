import { baseConfigSchema } from '@trellis/platform';
import { z } from 'zod';

/** Referrals configuration: validated at boot, every problem reported at once. */
export const referralsConfigSchema = baseConfigSchema.extend({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('referrals'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  KAFKA_BROKERS: baseConfigSchema.shape.KAFKA_BROKERS.unwrap(),
  /** The gateway's base URL: default token issuer, and its /.well-known/jwks.json (deploy/local/ports.env). */
  GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** identity's gRPC address (host:port) for GetPatient (deploy/local/ports.env). */
  IDENTITY_GRPC_ADDR: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'),
  IDENTITY_DEADLINE_MS: z.coerce.number().int().min(50).max(30_000).default(2000),
  /** Publish the outbox to Kafka from this process (one leader per schema). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
  /** Consume AppointmentBooked and PatientMerged through the inbox. */
  INBOUND_EVENTS_ENABLED: z.stringbool().default(true),
  APPOINTMENTS_EVENTS_TOPIC: z.string().default('trellis.appointments.appointment.v1'),
  IDENTITY_EVENTS_TOPIC: z.string().default('trellis.identity.patient.v1'),
  INBOUND_EVENTS_GROUP: z.string().default('trellis.referrals.inbound-events'),
});

export type ReferralsConfig = z.output<typeof referralsConfigSchema>;
