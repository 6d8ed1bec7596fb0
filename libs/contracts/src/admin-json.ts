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
