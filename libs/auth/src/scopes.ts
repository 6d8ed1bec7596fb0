/**
 * SMART App Launch v2 scopes (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html)
 * restricted to what Trellis issues: `system/<ResourceType|*>.<cruds subset>` plus Trellis scopes.
 *
 * Semantics: a required scope `system/Patient.rs` is satisfied when every letter (r, s) is granted
 * for `Patient` (or `*`) by the union of the caller's system-level scopes. Permission letters must be
 * a non-empty subsequence of `cruds` in that order (`sr` is malformed). Granular scopes with a query
 * (`?category=...`) are narrower than the resource scope, so they never satisfy one. SMART v1 `read`,
 * `write` and `*` are accepted as aliases (`rs`, `cud`, `cruds`) because some suppliers still send them.
 */

import { parseRegionScope, regionScopeSatisfied, type RegionScope } from './region-scopes';

export const PERMISSION_LETTERS = ['c', 'r', 'u', 'd', 's'] as const;
export type PermissionLetter = (typeof PERMISSION_LETTERS)[number];

/** Trellis scopes outside the FHIR resource model. */
export const TRELLIS_SCOPES = {
  /** Read records flagged restricted (e.g. sensitive demographics). */
  restrictedRead: 'trellis/restricted.read',
  /** Operator administration of the connected-system registry. */
  admin: 'trellis/admin',
  /** National identity administration: merging patient records (never implied by Patient.u). */
  identityAdmin: 'trellis/identity.admin',
  /**
   * A regional authority's administration of the connected systems of its own region (the
   * token's `region`): list, suspend, reinstate. Never implied by `trellis/admin` or the reverse.
   */
  regionAdmin: 'trellis/region.admin',
} as const;
export type TrellisScope = (typeof TRELLIS_SCOPES)[keyof typeof TRELLIS_SCOPES];

const TRELLIS_SCOPE_SET: ReadonlySet<string> = new Set(Object.values(TRELLIS_SCOPES));

export interface ResourceScope {
  kind: 'resource';
  context: 'system' | 'user' | 'patient';
  resourceType: string; // '*' for all
  permissions: ReadonlySet<PermissionLetter>;
  query?: string;
}
export interface PlatformScope {
  kind: 'trellis';
  name: TrellisScope;
}
export type ParsedScope = ResourceScope | PlatformScope | RegionScope;

const RESOURCE_SCOPE = /^(system|user|patient)\/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]+)(\?[^\s]+)?$/;
const V1_ALIASES: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };

/** Parses one scope token; returns undefined for anything malformed or unknown (never throws). */
export function parseScope(token: string): ParsedScope | undefined {
  if (TRELLIS_SCOPE_SET.has(token)) return { kind: 'trellis', name: token as TrellisScope };
  if (token.startsWith('region/')) return parseRegionScope(token);
  const [, context, resourceType, rawPerms, query] = RESOURCE_SCOPE.exec(token) ?? [];
  if (resourceType === undefined || rawPerms === undefined) return undefined;
  const perms = V1_ALIASES[rawPerms] ?? rawPerms;
  if (!isOrderedSubset(perms)) return undefined;
  return {
    kind: 'resource',
    context: context as ResourceScope['context'],
    resourceType,
    permissions: new Set(perms.split('') as PermissionLetter[]),
    ...(query ? { query } : {}),
  };
}

function isOrderedSubset(perms: string): boolean {
  if (perms.length === 0) return false;
  let last = -1;
  for (const ch of perms) {
    const idx = (PERMISSION_LETTERS as readonly string[]).indexOf(ch);
    if (idx <= last) return false; // unknown letter, duplicate or out of order
    last = idx;
  }
  return true;
}

/** Splits an OAuth2 `scope` string (space separated) into tokens, dropping empties and duplicates. */
export function splitScopes(scope: string | undefined | null): string[] {
  if (!scope) return [];
  return [...new Set(scope.split(/\s+/).filter((s) => s.length > 0))];
}

/**
 * Answers of scopeSatisfies for a frozen granted list (a verified token's scopes, one array per
 * cached token): the guard asks the same question of the same list on every call, and parsing every
 * granted scope again was ≈ 0.9 % of the gateway's read profile (issue 23). A list that can still
 * change is never remembered.
 */
const frozenAnswers = new WeakMap<readonly string[], Map<string, boolean>>();
/** Distinct requirements remembered per list (the routes' scopes: a few dozen). */
const MAX_ANSWERS_PER_LIST = 256;

/** True when the granted scopes together satisfy `required` (see module comment). */
export function scopeSatisfies(granted: readonly string[], required: string): boolean {
  if (!Object.isFrozen(granted)) return satisfies(granted, required);
  let answers = frozenAnswers.get(granted);
  const known = answers?.get(required);
  if (known !== undefined) return known;
  const answer = satisfies(granted, required);
  if (!answers) frozenAnswers.set(granted, (answers = new Map()));
  if (answers.size >= MAX_ANSWERS_PER_LIST) answers.clear();
  answers.set(required, answer);
  return answer;
}

function satisfies(granted: readonly string[], required: string): boolean {
  const need = parseScope(required);
  if (!need) return false; // a malformed requirement is never satisfied (fail closed)
  if (need.kind === 'trellis') return granted.includes(need.name);
  if (need.kind === 'region') return regionScopeSatisfied(granted, need);
  if (need.query) {
    // a granular requirement is satisfied by the exact same granular scope or the broader one
    if (granted.includes(required)) return true;
  }
  const have = new Set<PermissionLetter>();
  for (const token of granted) {
    const g = parseScope(token);
    if (!g || g.kind !== 'resource' || g.query) continue;
    if (g.context !== need.context) continue;
    if (g.resourceType !== '*' && g.resourceType !== need.resourceType) continue;
    for (const p of g.permissions) have.add(p);
  }
  for (const p of need.permissions) if (!have.has(p)) return false;
  return true;
}

/**
 * Every requested scope must be well formed and satisfied by the allowed ones (token endpoint);
 * a region scope must be one the system was given, never a wildcard or one implied by another.
 */
export function scopesWithin(requested: readonly string[], allowed: readonly string[]): boolean {
  return requested.every((s) => {
    const p = parseScope(s);
    if (p?.kind === 'region') return allowed.includes(s);
    return p !== undefined && scopeSatisfies(allowed, s);
  });
}

/** True when the string is a well-formed scope Trellis can grant (a region wildcard is not). */
export function isValidScope(token: string): boolean {
  const p = parseScope(token);
  return p !== undefined && !(p.kind === 'region' && p.region === '*');
}

/**
 * The read part of granted scopes (compliance enforcement: reads continue, writes stop): resource
 * scopes keep only `r` and `s`, a scope with neither is dropped; Trellis scopes are kept.
 */
export function readOnlyScopes(granted: readonly string[]): string[] {
  const out: string[] = [];
  for (const token of granted) {
    const p = parseScope(token);
    if (!p) continue;
    if (p.kind === 'trellis') {
      out.push(token);
      continue;
    }
    if (p.kind === 'region') {
      if (p.action !== 'systems.write') out.push(token);
      continue;
    }
    const letters = (['r', 's'] as const).filter((l) => p.permissions.has(l)).join('');
    if (letters) out.push(`${p.context}/${p.resourceType}.${letters}${p.query ?? ''}`);
  }
  return [...new Set(out)];
}
