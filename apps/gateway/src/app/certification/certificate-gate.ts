import { parseScope } from '@trellis/auth';

import { type PrismaClient, type Prisma } from '../../generated/prisma/client';
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

/**
 * Decides whether a production system's product version holds a valid certificate for the
 * role scopes it asks for. Sandbox systems, roles without a scheme and requests without role
 * scopes pass without one. A certificate suspended by compliance enforcement keeps the reads
 * (care continues) and withholds the writes, as the enforcement does at the guard.
 */
export function decide(input: {
  environment: string;
  role: string;
  productVersionId: string;
  requested: readonly string[];
  certificates: readonly CertificateFacts[];
  now: Date;
  accepted?: Readonly<Record<string, string | null>>;
}): GateDecision {
  const { role, productVersionId: pv, now } = input;
  const wanted = roleScopes(input.requested);
  if (input.environment !== 'production' || !isCertifiableRole(role) || wanted.length === 0)
    return { ok: true };
  const accepted = input.accepted ?? ACCEPTED_RULES;
  const reasons: string[] = [];
  for (const c of input.certificates) {
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
    if (c.status === 'suspended') {
      const writes = wanted.filter(isWrite);
      if (writes.length > 0)
        return {
          ok: false,
          description: `the ${role} conformance certificate ${c.id} of product version ${pv} is suspended by compliance enforcement: ${writes.join(' ')} withheld (read scopes are still granted)`,
        };
    }
    return { ok: true, certificateId: c.id };
  }
  return {
    ok: false,
    description: `production scopes of the ${role} role need a valid ${role} conformance certificate for product version ${pv}${reasons.length ? ` (${reasons.join('; ')})` : ': none issued'}`,
  };
}

/** Loads the facts `decide` needs for a system and decides. */
export async function certificateGate(
  prisma: PrismaClient | Prisma.TransactionClient,
  system: { id: string; productVersionId: string },
  requested: readonly string[],
  now: Date = new Date(),
): Promise<GateDecision> {
  if (roleScopes(requested).length === 0) return { ok: true };
  const env = await prisma.systemEnvironment.findUnique({ where: { systemId: system.id } });
  if (env?.environment !== 'production') return { ok: true };
  const version = await prisma.productVersion.findUnique({
    where: { id: system.productVersionId },
    include: { product: true },
  });
  const role = (version?.product.role ?? 'other').replace(/_/g, '-');
  const certificates = await prisma.conformanceCertificate.findMany({
    where: { productVersionId: system.productVersionId, role },
    orderBy: [{ issuedAt: 'desc' }, { id: 'asc' }],
    take: 20,
  });
  return decide({
    environment: env.environment,
    role,
    productVersionId: system.productVersionId,
    requested,
    certificates,
    now,
  });
}

/**
 * Compliance enforcement acts on the certificate too (in the enforcement's transaction):
 * enforcement suspends the product version's active certificates, recovery or an operator
 * override reinstates the suspended ones.
 */
export async function setCertificatesSuspended(
  tx: Prisma.TransactionClient,
  productVersionId: string,
  suspended: boolean,
  reason: string,
): Promise<number> {
  const r = await tx.conformanceCertificate.updateMany({
    where: { productVersionId, status: suspended ? 'active' : 'suspended' },
    data: {
      status: suspended ? 'suspended' : 'active',
      statusReason: reason.slice(0, 500),
      statusChangedAt: new Date(),
    },
  });
  return r.count;
}
