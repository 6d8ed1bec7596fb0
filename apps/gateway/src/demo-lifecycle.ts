/**
 * Onboarding for the demo seed and the test harnesses — never the running service. A system that
 * calls the platforms outside a conformance session must be `live` (issue 18), so the seed and the
 * harnesses bring their systems live the way the national operator does: the product version
 * holds a certificate for its role (issued as a passed conformance session leaves one, when it
 * holds no valid one), then registered → sandbox → certified → live through LifecycleService —
 * each move in the history, on the region's stream and in the audit, as a national act. A local
 * system whose product role has no conformance scheme goes registered → sandbox → live, the
 * go-live being the national operator's act (docs/regional-authorities.md § Lifecycle).
 */
import { randomUUID } from 'node:crypto';

import { type Caller } from '@trellis/auth';

import { type PrismaClient } from './generated/prisma/client';
import { standingOf } from './app/certification/certificate-gate';
import { CertificatesRepository } from './app/certification/certificates.repository';
import { CertificationRepository } from './app/certification/certification.repository';
import { signCertificate } from './app/certification/certificate-jwt';
import { CERTIFICATE_TTL_DAYS } from './app/certification/certification.service';
import { isCertifiableRole, RULES_VERSION } from './app/certification/exchange';
import { type LifecycleService } from './app/regions/lifecycle.service';
import { regionOfSystem } from './app/regions/regional.service';
import { RegionsRepository } from './app/regions/regions.repository';
import { type SigningKey } from './app/tokens/signing-keys';

export interface OnboardingDeps {
  prisma: PrismaClient;
  lifecycle: LifecycleService;
  /** The gateway's current signing key and public URL (the certificate's issuer). */
  key: SigningKey;
  publicUrl: string;
}

/**
 * A valid certificate of the product version for its role: the newest valid one (active or
 * suspended), else a new one
 * signed with the gateway's key (no TestReports: the demo's and the tests' stand-in for a passed
 * session). Undefined for a role without a conformance scheme.
 */
export async function ensureCertificate(
  deps: OnboardingDeps,
  productVersionId: string,
): Promise<string | undefined> {
  const version = await new CertificationRepository(deps.prisma).productOf(productVersionId);
  if (!version) throw new Error(`product version ${productVersionId} is not registered`);
  const role = version.role;
  if (!isCertifiableRole(role)) return undefined;
  const certificates = new CertificatesRepository(deps.prisma);
  const held = standingOf(await certificates.certificates(productVersionId, [role]), new Date());
  // a certificate suspended by compliance enforcement is still the version's: never replaced here
  if (held.ok) return held.certificate.id;
  const id = randomUUID();
  const session = randomUUID();
  const issued = new Date();
  const expires = new Date(issued.getTime() + CERTIFICATE_TTL_DAYS * 86_400_000);
  const jwt = await signCertificate(deps.key, deps.publicUrl, {
    id,
    issued,
    expires,
    claims: {
      supplier: version.supplier,
      product: version.productId,
      product_name: version.product,
      version: version.version,
      product_version: productVersionId,
      role,
      rules_version: RULES_VERSION,
      test_reports: [],
      session,
    },
  });
  await certificates.insert({
    id,
    productVersionId,
    role,
    rulesVersion: RULES_VERSION,
    supplier: version.supplier,
    product: version.productId,
    version: version.version,
    sessionId: session,
    testReportIds: [],
    jwt,
    status: 'active',
    issuedAt: issued,
    expiresAt: expires,
  });
  return id;
}

/**
 * Brings a registered system live: a certificate for its role, then each lifecycle move in turn
 * by `operator` (a `trellis/admin` caller: national acts). A role without a conformance scheme
 * cannot be certified: it goes registered → sandbox → live, the go-live the national operator's
 * own act (as only it may make it). Returns the certificate id (undefined for such a role).
 */
export async function bringLive(
  deps: OnboardingDeps,
  systemId: string,
  operator: Caller,
  reason = 'onboarded by the demo seed / test harness',
): Promise<string | undefined> {
  const row = await new RegionsRepository(deps.prisma).system(systemId);
  if (!row) throw new Error(`system ${systemId} is not registered`);
  if (row.lifecycle === 'live') return undefined;
  const certificate = await ensureCertificate(deps, row.productVersionId);
  const steps = certificate
    ? (['registered', 'sandbox', 'certified', 'live'] as const)
    : (['registered', 'sandbox', 'live'] as const);
  const from = (steps as readonly string[]).indexOf(row.lifecycle);
  // a scheme-less system left `certified` (its version was reassigned) goes live from there
  for (const to of from < 0 ? (['live'] as const) : steps.slice(from + 1))
    await deps.lifecycle.transition(
      operator,
      regionOfSystem(row),
      systemId,
      to,
      reason,
      '/trellis.gateway.v1.RegionalAuthorityService/TransitionRegionSystem',
    );
  return certificate;
}
