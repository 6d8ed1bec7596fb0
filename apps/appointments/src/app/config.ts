import { platformConfigSchema } from '@trellis/identity-client';
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
export const appointmentsConfigSchema = platformConfigSchema('appointments').extend({
  /** Organisation types for ODS codes whose shape does not say (ODS=type,...). */
  ORGANISATION_TYPES: organisationTypeOverrides,
  /** Consume identity events (PatientDeceased, PatientMerged). */
  IDENTITY_EVENTS_ENABLED: z.stringbool().default(true),
  IDENTITY_EVENTS_TOPIC: z.string().default('trellis.identity.patient.v1'),
  IDENTITY_EVENTS_GROUP: z.string().default('trellis.appointments.identity-events'),
});

export type AppointmentsConfig = z.output<typeof appointmentsConfigSchema>;
