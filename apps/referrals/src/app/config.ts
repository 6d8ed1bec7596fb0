import { platformConfigSchema } from '@trellis/identity-client';
import { z } from 'zod';

/** Referrals configuration: validated at boot, every problem reported at once. */
export const referralsConfigSchema = platformConfigSchema('referrals').extend({
  /** Consume AppointmentBooked and PatientMerged through the inbox. */
  INBOUND_EVENTS_ENABLED: z.stringbool().default(true),
  APPOINTMENTS_EVENTS_TOPIC: z.string().default('trellis.appointments.appointment.v1'),
  IDENTITY_EVENTS_TOPIC: z.string().default('trellis.identity.patient.v1'),
  INBOUND_EVENTS_GROUP: z.string().default('trellis.referrals.inbound-events'),
});

export type ReferralsConfig = z.output<typeof referralsConfigSchema>;
