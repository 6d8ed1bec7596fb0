import { MAX_ACCESS_TOKEN_LIFETIME_SECONDS } from '@trellis/auth';
import { z } from 'zod';

/**
 * Citizen access (merged into the gateway's env schema): the OpenID provider citizens sign in
 * with — NHS login in production (chart value citizen.oidcIssuer), apps/citizen-idp locally —
 * and the patient tokens the gateway exchanges their ID tokens for. Unset issuer: no citizen access.
 */
export const CITIZEN_ENV_SHAPE = {
  CITIZEN_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  /** Our client id at that provider: the `aud` of the ID tokens we accept. */
  CITIZEN_OIDC_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/)
    .default('trellis-citizen'),
  /** ID tokens older than this (iat) are refused, seconds. */
  CITIZEN_ID_TOKEN_MAX_AGE_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
  /** When set, the ID token's identity_proofing_level must be it (NHS login: P9 for records). */
  CITIZEN_REQUIRED_PROOFING_LEVEL: z
    .string()
    .regex(/^P[0-9]$/)
    .optional(),
  /**
   * Professionals who sign in to the console at the same provider (issue 20): a JSON array of
   * `{ sub, role: operator|regional|supplier, systemId }` (the demo's .trellis/demo/staff.json; a
   * ConfigMap in a cluster). Unset or absent: ID tokens without an NHS number are refused.
   */
  STAFF_DIRECTORY_FILE: z.string().min(1).optional(),
  /** Lifetime of a patient token (short: the citizen exchanges again). */
  CITIZEN_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(30)
    .max(MAX_ACCESS_TOKEN_LIFETIME_SECONDS)
    .default(300),
};
