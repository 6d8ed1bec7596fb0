/** The authenticated caller of a Trellis API, derived from a verified platform access token. */
export interface Caller {
  /** Connected-system id (the OAuth2 client id, token `sub`). */
  systemId: string;
  /** ODS code of the organisation the system acts for. */
  odsCode: string;
  /** Region code of that organisation (e.g. `north-east`, `london`). */
  region: string;
  /** Supplier product version the system deploys (token `product_version`), when the token names one. */
  productVersionId?: string;
  /**
   * Compliance enforcement withdrew the write scopes of the system's product version: `scopes`
   * holds only the read/search part of what the token granted.
   */
  writesRestricted?: boolean;
  /** Granted scopes. */
  scopes: readonly string[];
  /** End-user id asserted by the local system in `x-trellis-user` (audit only, not authenticated). */
  userId?: string;
  /** Access token id (`jti`), for correlation. */
  tokenId: string;
  /** Token expiry (epoch seconds). */
  expiresAt: number;
  /**
   * NHS number of a citizen's patient token (claim `patient`): the caller is that patient, may use
   * only the rules that admit patients (ProtectedRule.patientAccess) and only for their own record.
   */
  patient?: string;
}

/** Header / gRPC metadata key a local system uses to name its end user (for the audit trail). */
export const END_USER_HEADER = 'x-trellis-user';

// The guard attaches the caller to the per-call carrier object: the gRPC Metadata instance or the
// HTTP request. A WeakMap keeps it off the wire and lets it be collected with the call.
const callers = new WeakMap<object, Caller>();

export function attachCaller(carrier: object, caller: Caller): void {
  callers.set(carrier, caller);
}

/** The caller for this call's gRPC Metadata or HTTP request, or undefined if none was attached. */
export function callerOf(carrier: object | undefined | null): Caller | undefined {
  return carrier ? callers.get(carrier) : undefined;
}

/** Like callerOf but throws when the guard did not run (a wiring bug, never a client error). */
export function requireCaller(carrier: object | undefined | null): Caller {
  const caller = callerOf(carrier);
  if (!caller)
    throw new Error('No authenticated caller on this call: is TrellisAuthModule registered?');
  return caller;
}
