// JSON bodies of the gateway's admin REST API that the console reads: declared once, so the
// gateway's answer and the console's reading cannot drift apart. Types only (the console imports
// them with `import type`, nothing reaches its bundle).

/** One system's card from `GET /admin/v1/…/system-scorecards`. */
export interface SystemScorecardJson {
  systemId: string;
  region: string;
  productVersionId: string;
  requests: number;
  accepted: number;
  refused: number;
  violations: number;
  /** accepted + refused: 0 = nothing judged, no rate. */
  judged: number;
  /** accepted / judged, or null when nothing was judged. */
  conformanceRate: number | null;
  countedUntil: string | null;
  /** Its product version's standing under the compliance policy. */
  compliance: {
    state: string;
    severity: string;
    warnedAt: string | null;
    enforcedAt: string | null;
    overrideUntil: string | null;
    overrideReason: string;
  } | null;
}

/** One entry of `GET /admin/v1/regions/{region}/enforcement-history` (the Enforcement page). */
export interface HistoryEntryJson {
  id: string;
  at: string;
  /** compliance: the product version's policy state; registry: the system's record; lifecycle. */
  kind: 'compliance' | 'registry' | 'lifecycle';
  /** compliance: warn | enforce | restore | operator-override; registry: SUSPENDED, …; lifecycle: the new state. */
  event: string;
  systemIds: string[];
  /** The system's name (registry and lifecycle entries). */
  systemName: string;
  productVersionId: string;
  from: string;
  to: string;
  actor: string;
  reason: string;
  nationalOverride: boolean;
}

/** A connected system from the registry routes (`/admin/v1/systems`, a region's systems): no keys. */
export interface SystemSummaryJson {
  id: string;
  name: string;
  supplier: string;
  odsCode: string;
  region: string;
  status: 'active' | 'suspended';
  suspensionReason: string;
  productVersionId: string;
  writesRestricted: boolean;
  /** registered | sandbox | certified | live (issue 18). */
  lifecycle: string;
  /** Its product's role (gp-system, hospital-epr, lab-lims, other): in registry listings only. */
  productRole?: string;
  /**
   * A system of the national operator or a regional digital authority (X26, YRA01–08): a
   * governance client, outside the connected-system lifecycle; in registry listings only.
   */
  governance?: boolean;
  allowedScopes: string[];
  version: number;
  changedAt: string;
  changedBy: string;
}

/** One page of a registry listing. */
export interface SystemPageJson {
  systems: SystemSummaryJson[];
  nextPageToken: string;
  total: number;
}

/** One scenario of `GET /admin/v1/conformance-sessions/{id}/progress`, as it stands. */
export interface ScenarioProgressJson {
  id: string;
  title: string;
  /** waiting: no request yet; passing / failing: every assertion met so far, or not. */
  state: 'waiting' | 'passing' | 'failing';
  requests: number;
  assertions: Array<{
    id: string;
    rule: string;
    description: string;
    pass: boolean;
    message: string;
    evidence: string | null;
  }>;
}

/** `GET /admin/v1/conformance-sessions/{id}/progress`: the scenarios as they stand. */
export interface SessionProgressJson {
  session: {
    id: string;
    systemId: string;
    productVersionId: string;
    role: string;
    status: string;
    result: string | null;
    openedAt: string;
    closedAt: string | null;
  };
  /** Requests recorded but not answered yet (not judged until answered). */
  inFlight: number;
  evaluatedAt: string;
  scenarios: ScenarioProgressJson[];
}

/** One row of `GET /admin/v1/product-versions/{id}/compliance-changes`. */
export interface ComplianceChangeJson {
  version: number;
  from: string;
  to: string;
  cause: string;
  actor: string;
  reason: string;
  at: string;
}

/** One page of a product version's compliance changes, newest first. */
export interface ComplianceChangePageJson {
  changes: ComplianceChangeJson[];
  nextPageToken: string;
}
