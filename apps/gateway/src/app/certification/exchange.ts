/** Roles a product can be certified for (the product registry's roles, `other` excepted). */
export const CERTIFIABLE_ROLES = ['gp-system', 'hospital-epr', 'lab-lims'] as const;
export type CertifiableRole = (typeof CERTIFIABLE_ROLES)[number];

export function isCertifiableRole(role: string): role is CertifiableRole {
  return (CERTIFIABLE_ROLES as readonly string[]).includes(role);
}

/** The rules the scenarios check (TRELLIS_RULES of libs/fhir plus the gateway's HTTP rules). */
export const RULES_VERSION = 'trellis-rules-2026.12';

/** Header a supplier's client sends to say which TestScript a request belongs to. */
export const SCENARIO_HEADER = 'x-trellis-scenario';

/** Faults the sandbox injects on a chosen request of a scenario. */
export type FaultKind =
  /** 429 + Retry-After, the platform not called */
  | 'rate-limit'
  /** 412 precondition failed (a concurrent update won), the platform not called */
  | 'precondition'
  /** 412 duplicate refusal naming the patient the scenario registered first, platform not called */
  | 'duplicate'
  /** 503 + Retry-After, the platform not called */
  | 'unavailable'
  /** the platform does the work, then the connection is dropped before the answer */
  | 'drop';

/** One request of a system under a conformance session, as recorded at the gateway. */
export interface Exchange {
  seq: number;
  /** TestScript id from the x-trellis-scenario header (null: none sent). */
  scenario: string | null;
  method: string;
  /** Path without the query (e.g. `/fhir/Patient/9990000018`). */
  path: string;
  query: string;
  /** HTTP status answered; 0 = the connection was dropped (fault `drop`). */
  status: number;
  fault: FaultKind | null;
  ifMatch: string | null;
  ifNoneExist: string | null;
  /** The request's idempotency key ($book parameter, lab report identifier), when it has one. */
  key: string | null;
  /** Id of the resource the answer names (body id or Location). */
  resourceId: string | null;
  /** Retry-After (seconds) the answer carried. */
  retryAfter: number | null;
  /** Arrival and completion (epoch ms). */
  at: number;
  doneAt: number;
}

export function requestLine(x: Exchange): string {
  const status = x.status === 0 ? 'no answer (connection dropped)' : String(x.status);
  return `#${x.seq} ${x.method} ${x.path}${x.query ? `?${x.query}` : ''} → ${status}${x.fault ? ` [injected ${x.fault}]` : ''}`;
}
