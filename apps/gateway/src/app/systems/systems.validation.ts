import { isValidScope, parseRegionScope } from '@trellis/auth';
import { ODS_CODE, organisationByOdsCode, REGION_CODE } from '@trellis/service-kit';

import { SystemsError, SystemsErrorCode, type FieldViolation } from './systems.errors';

// one ODS code / region syntax for the whole platform (libs/service-kit)
export { ODS_CODE, REGION_CODE };
export const CLIENT_ID = /^[a-z0-9][a-z0-9-]{2,62}$/;
const ALLOWED_KEY_ALGS = new Set(['RS384', 'ES384']);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export interface KeysInput {
  jwksJson?: string | undefined;
  jwksUrl?: string | undefined;
}
export interface ValidatedKeys {
  jwks: { keys: Record<string, unknown>[] } | null;
  jwksUrl: string | null;
}

/** Collects violations instead of failing at the first one. */
export class Violations {
  readonly list: FieldViolation[] = [];
  add(field: string, message: string, rule = 'invalid'): void {
    this.list.push({ field, rule, message });
  }
  throwIfAny(message = 'invalid request'): void {
    if (this.list.length > 0)
      throw new SystemsError(SystemsErrorCode.InvalidArgument, message, this.list);
  }
}

export function checkText(v: Violations, field: string, value: string, max = 200): void {
  if (!value || value.trim().length === 0) v.add(field, 'is required');
  else if (value.length > max) v.add(field, `must be at most ${max} characters`);
}

export function checkScopes(v: Violations, field: string, scopes: readonly string[]): string[] {
  if (scopes.length === 0) v.add(field, 'at least one scope is required');
  if (scopes.length > 50) v.add(field, 'at most 50 scopes');
  scopes.forEach((s, i) => {
    if (!isValidScope(s))
      v.add(`${field}[${i}]`, `unknown or malformed scope ${JSON.stringify(s).slice(0, 80)}`);
  });
  return [...new Set(scopes)].sort();
}

/**
 * Region-bound scopes (issue 18) go only to a regional digital authority's systems, and only
 * for that authority's own region (the reference data's, which the system's region must match).
 */
export function checkRegionScopes(
  v: Violations,
  field: string,
  scopes: readonly string[],
  system: { odsCode: string; region: string },
): void {
  const org = organisationByOdsCode(system.odsCode);
  scopes.forEach((s, i) => {
    const p = parseRegionScope(s);
    if (!p) return;
    if (org?.kind !== 'regional-authority')
      v.add(
        `${field}[${i}]`,
        `${s} is for regional digital authorities; ${system.odsCode} is not one`,
        'region-scope.not-authority',
      );
    else if (p.region !== org.region || system.region !== org.region)
      v.add(
        `${field}[${i}]`,
        `the authority of ${org.region} may hold only region/${org.region}/… scopes`,
        'region-scope.other-region',
      );
  });
}

export function checkKeys(
  v: Violations,
  field: string,
  keys: KeysInput | undefined,
): ValidatedKeys {
  const hasJson = typeof keys?.jwksJson === 'string' && keys.jwksJson !== '';
  const hasUrl = typeof keys?.jwksUrl === 'string' && keys.jwksUrl !== '';
  if (hasJson === hasUrl) {
    v.add(field, 'exactly one of jwks_json or jwks_url is required');
    return { jwks: null, jwksUrl: null };
  }
  if (hasUrl) {
    const raw = keys?.jwksUrl ?? '';
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    const loopback = url && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
      v.add(`${field}.jwks_url`, 'must be an https URL (http only for loopback)');
      return { jwks: null, jwksUrl: null };
    }
    return { jwks: null, jwksUrl: url.toString() };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(keys?.jwksJson ?? '');
  } catch {
    v.add(`${field}.jwks_json`, 'is not valid JSON');
    return { jwks: null, jwksUrl: null };
  }
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0 || list.length > 10) {
    v.add(`${field}.jwks_json`, 'must be a JWKS with 1 to 10 keys');
    return { jwks: null, jwksUrl: null };
  }
  const kids = new Set<string>();
  list.forEach((k: unknown, i) => {
    const key = (k ?? {}) as Record<string, unknown>;
    const at = `${field}.jwks_json.keys[${i}]`;
    if (key['kty'] !== 'EC' && key['kty'] !== 'RSA') v.add(at, 'kty must be EC or RSA');
    if (typeof key['kid'] !== 'string' || key['kid'] === '') v.add(at, 'kid is required');
    else if (kids.has(key['kid'])) v.add(at, 'duplicate kid');
    else kids.add(key['kid']);
    if (typeof key['alg'] !== 'string' || !ALLOWED_KEY_ALGS.has(key['alg']))
      v.add(at, 'alg must be RS384 or ES384');
    if (PRIVATE_MEMBERS.some((m) => m in key))
      v.add(at, 'must be a public key (private members present)');
  });
  return { jwks: { keys: list as Record<string, unknown>[] }, jwksUrl: null };
}
