/**
 * Port to the identity platform: is this NHS number a living, current patient?
 * `gpOdsCode` is the ODS code of the patient's current registered GP practice, as identity showed
 * it to this caller: absent when the patient has no registration or identity withheld it (a
 * restricted record and a caller without trellis/restricted.read). Treat absent as "unknown".
 * The production adapter calls trellis.identity.v1.PatientService/GetPatient over gRPC
 * (identity-patient-directory.ts); unit tests stub it.
 */
export type PatientStanding =
  | { kind: 'active'; nhsNumber: string; gpOdsCode?: string }
  | { kind: 'deceased'; nhsNumber: string; deceasedAt: Date; gpOdsCode?: string }
  | { kind: 'merged'; nhsNumber: string; survivorNhsNumber: string }
  | { kind: 'not-found'; nhsNumber: string };

export interface PatientLookupContext {
  /** The caller's bearer token, forwarded so identity applies its own scopes and audit. */
  authorization?: string;
  correlationId?: string;
  /**
   * The gateway's vouch the call came with (issue 22): passed on, so identity serves the lookup
   * while its own suspension feed has not replayed (it accepts a vouch from the peer it names).
   */
  vouch?: string;
}

export interface PatientDirectory {
  /**
   * Throws the calling service's own domain errors (built by its PatientDirectoryErrors):
   * lookupDenied when identity refuses the caller, unavailable when identity cannot answer.
   */
  standing(nhsNumber: string, ctx: PatientLookupContext): Promise<PatientStanding>;
}

/** Nest injection token for the PatientDirectory of the service it is provided in. */
export const PATIENT_DIRECTORY = Symbol('identity-client.patient-directory');

/**
 * Remembers "active" answers for a short time (labs send many reports for the same patient in a
 * burst). Deceased / merged / not-found answers are never cached, so a merge or a typo is seen at
 * once; a death or merge happening within the TTL is caught on the next lookup after it expires.
 * A cached answer carries no `gpOdsCode` (what identity shows depends on the caller's scopes), so
 * do not use this cache for decisions that need the GP practice.
 */
export class CachingPatientDirectory implements PatientDirectory {
  private readonly active = new Map<string, number>();

  constructor(
    private readonly inner: PatientDirectory,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  async standing(nhsNumber: string, ctx: PatientLookupContext): Promise<PatientStanding> {
    const until = this.active.get(nhsNumber);
    if (until !== undefined && until > this.now()) return { kind: 'active', nhsNumber };
    const s = await this.inner.standing(nhsNumber, ctx);
    if (s.kind === 'active' && this.ttlMs > 0) {
      if (this.active.size >= this.maxEntries) this.active.clear();
      this.active.set(nhsNumber, this.now() + this.ttlMs);
    } else this.active.delete(nhsNumber);
    return s;
  }
}
