import { identityClientConfig } from '@trellis/identity-client';
import {
  baseConfigSchema,
  gatewayUrlConfig,
  requiredKafkaConfig,
  serviceDatabaseConfig,
} from '@trellis/service-kit';
import { z } from 'zod';

/** Referrals configuration: validated at boot, every problem reported at once. */
export const referralsConfigSchema = baseConfigSchema.extend({
  ...serviceDatabaseConfig('referrals', 20),
  ...requiredKafkaConfig,
  ...gatewayUrlConfig,
  ...identityClientConfig,
  /** Publish the outbox to Kafka from this process (one leader per schema). */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
  /** Consume AppointmentBooked and PatientMerged through the inbox. */
  INBOUND_EVENTS_ENABLED: z.stringbool().default(true),
  APPOINTMENTS_EVENTS_TOPIC: z.string().default('trellis.appointments.appointment.v1'),
  IDENTITY_EVENTS_TOPIC: z.string().default('trellis.identity.patient.v1'),
  INBOUND_EVENTS_GROUP: z.string().default('trellis.referrals.inbound-events'),
});

export type ReferralsConfig = z.output<typeof referralsConfigSchema>;
