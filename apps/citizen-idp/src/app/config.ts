import { baseConfigSchema } from '@trellis/service-kit';
import { z } from 'zod';

const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url({ protocol: /^https?$/ })).min(1));

/**
 * The local citizen OpenID provider: a demo stand-in for NHS login, only ever run locally and in
 * tests (production points the gateway at the national identity provider, see the chart).
 */
export const citizenIdpConfigSchema = baseConfigSchema.extend({
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8089),
  /** The issuer (default http://127.0.0.1:<HTTP_PORT>); the gateway's CITIZEN_OIDC_ISSUER. */
  CITIZEN_IDP_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  /** The citizen app registered here (public client, authorization code + PKCE S256). */
  CITIZEN_IDP_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default('trellis-citizen'),
  // 8090: the citizen app of the int spec; 8091: the console (`npm start`, its browser tests)
  CITIZEN_IDP_REDIRECT_URIS: csv.default([
    'http://127.0.0.1:8090/callback',
    'http://127.0.0.1:8091/callback',
  ]),
  /** The console's demo professionals (written by the gateway seed); absent: citizens only. */
  CITIZEN_IDP_STAFF_FILE: z.string().min(1).default('.trellis/demo/staff.json'),
  /** Demo citizens (created from the seeded patients when absent): sub, email, password, NHS number. */
  CITIZEN_IDP_CITIZENS_FILE: z.string().min(1).default('.trellis/demo/citizens.json'),
  /** The seeded patients the demo citizens are (written by the identity seed). */
  CITIZEN_IDP_PATIENTS_FILE: z.string().min(1).default('.trellis/demo/patients.json'),
  /** Signing keys (ES256 JWKS, private; generated when absent, kept across restarts). */
  CITIZEN_IDP_KEYS_FILE: z.string().min(1).default('.trellis/secrets/citizen-idp-jwks.json'),
  /** ID token lifetime, seconds (NHS login: minutes). */
  CITIZEN_IDP_ID_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
});

export type CitizenIdpConfig = z.output<typeof citizenIdpConfigSchema>;
