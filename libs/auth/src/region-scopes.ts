/**
 * Region-bound scopes of regional digital authorities (issue 18): `region/<code>/<action>`, e.g.
 * `region/north-east/systems.write`. A granted region scope acts in that one region only; the
 * national operator (`trellis/admin`) acts in every region (its override, always recorded by the
 * service that honours it). `systems.write` implies `systems.read`; nothing else implies anything.
 *
 * A rule table cannot name the region of a call in advance, so a rule requires the wildcard
 * `region/*\/<action>` ("some region's <action>") and the handler then checks the region it is
 * asked about with {@link mayActInRegion}. The wildcard is never grantable.
 */

export const REGION_ACTIONS = [
  'systems.read',
  'systems.write',
  'waiting-lists.read',
  'scorecards.read',
  'audit.read',
  // bulk export of the region's patients (FHIR $export, docs/fhir.md § Bulk export)
  'population.read',
] as const;
export type RegionAction = (typeof REGION_ACTIONS)[number];

export interface RegionScope {
  kind: 'region';
  /** A region code (`north-east`) or `*` (only in a requirement). */
  region: string;
  action: RegionAction;
}

const REGION_SCOPE = /^region\/(\*|[a-z]{2,20}(?:-[a-z]{2,20}){0,3})\/([a-z.-]+)$/;
const ACTION_SET: ReadonlySet<string> = new Set(REGION_ACTIONS);
const NATIONAL_OPERATOR = 'trellis/admin';
/**
 * The console's older regional scope (issue 20): the authority of the token's own region for
 * these actions. It names no region, so it satisfies only wildcard rules; the handler's
 * mayActInRegion then binds it to the token's region.
 */
const CONSOLE_REGION_ADMIN = 'trellis/region.admin';
const CONSOLE_REGION_ADMIN_ACTIONS: ReadonlySet<RegionAction> = new Set([
  'systems.read',
  'systems.write',
  'audit.read',
]);

/** Parses `region/<code|*>/<action>`; undefined when it is not a well-formed region scope. */
export function parseRegionScope(token: string): RegionScope | undefined {
  const [, region, action] = REGION_SCOPE.exec(token) ?? [];
  if (region === undefined || action === undefined || !ACTION_SET.has(action)) return undefined;
  return { kind: 'region', region, action: action as RegionAction };
}

/** The scope an authority of `region` needs for `action`. */
export function regionScope(region: string, action: RegionAction): string {
  return `${region}` === '*' ? `region/*/${action}` : `region/${region}/${action}`;
}

function implies(granted: RegionAction, needed: RegionAction): boolean {
  return granted === needed || (granted === 'systems.write' && needed === 'systems.read');
}

/**
 * True when the granted scopes satisfy a required region scope: the national operator always;
 * otherwise a concrete granted scope of that region (any region for a `*` requirement) whose
 * action implies the required one. A granted wildcard never counts.
 */
export function regionScopeSatisfied(granted: readonly string[], need: RegionScope): boolean {
  if (granted.includes(NATIONAL_OPERATOR)) return true;
  if (
    need.region === '*' &&
    granted.includes(CONSOLE_REGION_ADMIN) &&
    CONSOLE_REGION_ADMIN_ACTIONS.has(need.action)
  )
    return true;
  return granted.some((token) => {
    const g = parseRegionScope(token);
    return (
      g !== undefined &&
      g.region !== '*' &&
      (need.region === '*' || g.region === need.region) &&
      implies(g.action, need.action)
    );
  });
}

/** The regions in which the scopes allow `action` ('all' for the national operator). */
export function regionsAllowed(
  granted: readonly string[],
  action: RegionAction,
): Set<string> | 'all' {
  if (granted.includes(NATIONAL_OPERATOR)) return 'all';
  const out = new Set<string>();
  for (const token of granted) {
    const g = parseRegionScope(token);
    if (g && g.region !== '*' && implies(g.action, action)) out.add(g.region);
  }
  return out;
}

/**
 * The check a regional handler makes once it knows the region a call concerns: the national
 * operator anywhere; an authority only in the region both its scope and its token name (the
 * token's region is its organisation's, so a scope for another region, were one ever granted,
 * still acts nowhere else).
 */
export function mayActInRegion(
  caller: { scopes: readonly string[]; region: string },
  region: string,
  action: RegionAction,
): boolean {
  if (caller.scopes.includes(NATIONAL_OPERATOR)) return true;
  if (region === '*' || caller.region !== region) return false;
  if (caller.scopes.includes(CONSOLE_REGION_ADMIN) && CONSOLE_REGION_ADMIN_ACTIONS.has(action))
    return true;
  return regionScopeSatisfied(caller.scopes, { kind: 'region', region, action });
}

/** True for the national operator (acts in every region; its regional acts are overrides). */
export function isNationalOperator(caller: { scopes: readonly string[] }): boolean {
  return caller.scopes.includes(NATIONAL_OPERATOR);
}
