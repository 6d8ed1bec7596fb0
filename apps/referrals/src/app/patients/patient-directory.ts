/**
 * Port to the identity platform: is this NHS number a living, current patient?
 * The production adapter calls trellis.identity.v1.PatientService/GetPatient over gRPC
 * (identity-patient-directory.ts); unit tests stub it.
 */
export type PatientStanding =
  | { kind: 'active'; nhsNumber: string }
  | { kind: 'deceased'; nhsNumber: string; deceasedAt: Date }
  | { kind: 'merged'; nhsNumber: string; survivorNhsNumber: string }
  | { kind: 'not-found'; nhsNumber: string };

export interface PatientLookupContext {
  /** The caller's bearer token, forwarded so identity applies its own scopes and audit. */
  authorization?: string;
  correlationId?: string;
}

export interface PatientDirectory {
  /** Throws ReferralsError(IDENTITY_UNAVAILABLE) when identity cannot answer. */
  standing(nhsNumber: string, ctx: PatientLookupContext): Promise<PatientStanding>;
}

export const PATIENT_DIRECTORY = Symbol('referrals.patient-directory');
