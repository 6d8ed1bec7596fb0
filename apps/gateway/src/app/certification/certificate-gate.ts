import { parseScope } from '@trellis/auth';

import { isCertifiableRole, RULES_VERSION } from './exchange';

/**
 * The rules versions a certificate may have been issued under, and until when. A new rules
 * version is declared by making it `RULES_VERSION` and listing the previous one here with the
 * date by which its holders must re-certify (null = no deadline).
 */
export const ACCEPTED_RULES: Readonly<Record<string, string | null>> = {
  [RULES_VERSION]: null,
};

/** Resource types that are not a role's clinical scopes (conformance kit, own scorecards). */
const NOT_ROLE_SCOPES = new Set(['TestReport', 'MeasureReport']);

/** A role's scopes among those requested: every clinical resource scope. */
export function roleScopes(requested: readonly string[]): string[] {
  return requested.filter((s) => {
    const p = parseScope(s);
    return p?.kind === 'resource' && !NOT_ROLE_SCOPES.has(p.resourceType);
  });
}

function isWrite(scope: string): boolean {
  const p = parseScope(scope);
  return p?.kind === 'resource' && (['c', 'u', 'd'] as const).some((l) => p.permissions.has(l));
}

export interface CertificateFacts {
  id: string;
  status: string;
  rulesVersion: string;
  expiresAt: Date;
}

export type GateDecision =
  { ok: true; certificateId?: string } | { ok: false; description: string };

export type Standing =
  { ok: true; certificate: CertificateFacts } | { ok: false; reasons: string[] };

/**
 * The first certificate (newest first) that is valid now: active or suspended, not expired, its
 * rules version accepted and not past its re-certification date; else why none is.
 */
export function standingOf(
  certificates: readonly CertificateFacts[],
  now: Date,
  accepted: Readonly<Record<string, string | null>> = ACCEPTED_RULES,
): Standing {
  const reasons: string[] = [];
  for (const c of certificates) {
    if (c.status !== 'active' && c.status !== 'suspended') continue;
    if (c.expiresAt <= now) {
      reasons.push(`certificate ${c.id} expired ${c.expiresAt.toISOString()}`);
      continue;
    }
    if (!(c.rulesVersion in accepted)) {
      reasons.push(`certificate ${c.id} is for rules ${c.rulesVersion}, no longer accepted`);
      continue;
    }
    const by = accepted[c.rulesVersion];
    if (by && new Date(by) <= now) {
      reasons.push(
        `certificate ${c.id} is for rules ${c.rulesVersion}: re-certification against ${RULES_VERSION} was due by ${by}`,
      );
      continue;
    }
    return { ok: true, certificate: c };
  }
  return { ok: false, reasons };
}

/**
 * The one production gate (issues 17 and 18), on the system's lifecycle state: a `registered`
 * system gets no role scopes; `sandbox` and `certified` systems run in the sandbox (role scopes
 * for conformance sessions, no certificate needed); a `live` system's product version must hold a
 * valid certificate for the role scopes it asks for. Roles without a scheme and requests without
 * role scopes pass. A certificate suspended by compliance enforcement keeps the reads (care
 * continues) and withholds the writes, as the enforcement does at the guard.
 */
export function decide(input: {
  lifecycle: string;
  role: string;
  productVersionId: string;
  requested: readonly string[];
  certificates: readonly CertificateFacts[];
  now: Date;
  accepted?: Readonly<Record<string, string | null>>;
}): GateDecision {
  const { role, productVersionId: pv, now } = input;
  const wanted = roleScopes(input.requested);
  if (wanted.length === 0) return { ok: true };
  if (input.lifecycle === 'registered')
    return {
      ok: false,
      description: `the system is registered, not yet in the sandbox: clinical scopes (${wanted.join(' ')}) come with the lifecycle step registered → sandbox`,
    };
  if (input.lifecycle !== 'live' || !isCertifiableRole(role)) return { ok: true };
  const s = standingOf(input.certificates, now, input.accepted);
  if (!s.ok)
    return {
      ok: false,
      description: `production scopes of the ${role} role need a valid ${role} conformance certificate for product version ${pv}${s.reasons.length ? ` (${s.reasons.join('; ')})` : ': none issued'}`,
    };
  if (s.certificate.status === 'suspended') {
    const writes = wanted.filter(isWrite);
    if (writes.length > 0)
      return {
        ok: false,
        description: `the ${role} conformance certificate ${s.certificate.id} of product version ${pv} is suspended by compliance enforcement: ${writes.join(' ')} withheld (read scopes are still granted)`,
      };
  }
  return { ok: true, certificateId: s.certificate.id };
}

/** Where the gate's facts come from (CertificatesRepository; an in-memory table in unit tests). */
export interface CertificateFactsSource {
  /** The role of a product version's product (platform spelling, e.g. gp-system). */
  productRole(productVersionId: string): Promise<string>;
  /** A product version's certificates for some roles, newest first. */
  certificates(productVersionId: string, roles: readonly string[]): Promise<CertificateFacts[]>;
}

/**
 * Loads the facts `decide` needs for a system and decides: nothing is read for a request without
 * role scopes or a system not live; a live one costs two reads (its role, then its certificates).
 */
export async function certificateGate(
  facts: CertificateFactsSource,
  system: { id: string; productVersionId: string; lifecycle: string },
  requested: readonly string[],
  now: Date = new Date(),
): Promise<GateDecision> {
  if (roleScopes(requested).length === 0) return { ok: true };
  if (system.lifecycle !== 'live')
    return decide({ ...system, role: 'other', requested, certificates: [], now });
  const role = await facts.productRole(system.productVersionId);
  const certificates = await facts.certificates(system.productVersionId, [role]);
  return decide({
    lifecycle: system.lifecycle,
    role,
    productVersionId: system.productVersionId,
    requested,
    certificates,
    now,
  });
}
