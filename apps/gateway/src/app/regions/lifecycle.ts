import { DomainError, organisationByOdsCode, type FieldViolation } from '@trellis/service-kit';

import { standingOf, type CertificateFacts } from '../certification/certificate-gate';

/**
 * The onboarding lifecycle of a connected system (issue 18). Only `live` is production: the
 * certificate gate grants a certifiable role's scopes there only with a valid certificate, and
 * `registered` gets no clinical scopes at all.
 */
export const LIFECYCLE_STATES = ['registered', 'sandbox', 'certified', 'live'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export function isLifecycleState(s: string): s is LifecycleState {
  return (LIFECYCLE_STATES as readonly string[]).includes(s);
}

/** Allowed moves: forward one step at a time, or back to the sandbox (e.g. to re-certify). */
const NEXT: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  registered: ['sandbox'],
  sandbox: ['certified'],
  certified: ['live', 'sandbox'],
  live: ['sandbox'],
};

/**
 * A product role without a conformance scheme (`other`) can never be certified, so its one way
 * to production is sandbox → live, a national act (NO_SCHEME_RULES.liveNationalOnly).
 */
const NEXT_NO_SCHEME: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  ...NEXT,
  sandbox: ['live'],
};

/** `scheme`: the system's product role has a conformance scheme (gp-system, hospital-epr, lab-lims). */
export function mayMove(from: string, to: LifecycleState, scheme = true): boolean {
  return isLifecycleState(from) && (scheme ? NEXT : NEXT_NO_SCHEME)[from].includes(to);
}

/** Rules of the lifecycle of a system whose product role has no conformance scheme. */
export const NO_SCHEME_RULES = {
  /** sandbox → live only by the national operator (never a region's authority alone). */
  liveNationalOnly: 'lifecycle.no-scheme-live-national-only',
} as const;

/**
 * The national operator's and the regional digital authorities' own organisations (reference
 * data kinds `national`, `regional-authority`): their systems (operator consoles, authority
 * clients) are governance principals, admitted by their registration and region-bound scopes,
 * not local systems onboarded through the lifecycle. Every other organisation's system is local.
 */
export function isGovernanceOrganisation(odsCode: string): boolean {
  const kind = organisationByOdsCode(odsCode)?.kind;
  return kind === 'national' || kind === 'regional-authority';
}

/** The refusal of any lifecycle move of a governance principal's system (one rule on both doors). */
export function governanceOutsideLifecycle(id: string, odsCode: string): LifecycleError {
  const message = `system ${id} belongs to ${odsCode}, the national operator or a regional digital authority: a governance client, admitted by its registration and region-bound scopes, not onboarded through the lifecycle`;
  return new LifecycleError('LIFECYCLE_ILLEGAL_TRANSITION', message, [
    { field: 'id', rule: 'lifecycle.governance-principal', message },
  ]);
}

/** The refusal of a region's go-live approval of a system whose role has no scheme. */
export function liveNeedsNationalOperator(
  id: string,
  role: string,
  region: string,
): LifecycleError {
  const message = `system ${id} deploys a product of role ${role}, which has no conformance scheme (no session, no certificate): only the national operator moves it live, with a reason; the authority of ${region} cannot approve it`;
  return new LifecycleError('LIFECYCLE_REQUIREMENT_UNMET', message, [
    { field: 'to', rule: NO_SCHEME_RULES.liveNationalOnly, message },
  ]);
}

export type LifecycleErrorCode =
  'LIFECYCLE_ILLEGAL_TRANSITION' | 'LIFECYCLE_REQUIREMENT_UNMET' | 'LIFECYCLE_INVALID_ARGUMENT';

/**
 * Refusals of the lifecycle: an illegal move or an unmet requirement is the system's state, not
 * bad input (FAILED_PRECONDITION → 422 on the JSON door); each names the rule that failed.
 */
export class LifecycleError extends DomainError<LifecycleErrorCode> {
  constructor(code: LifecycleErrorCode, message: string, violations: FieldViolation[]) {
    super(
      'gateway',
      code,
      code === 'LIFECYCLE_INVALID_ARGUMENT' ? 'INVALID_ARGUMENT' : 'FAILED_PRECONDITION',
      message,
      violations,
    );
  }
}

export function illegalMove(id: string, from: string, to: string, scheme = true): LifecycleError {
  const allowed = isLifecycleState(from)
    ? (scheme ? NEXT : NEXT_NO_SCHEME)[from].join(' or ')
    : 'none';
  const why = scheme
    ? ''
    : '; its product role has no conformance scheme, so it is never certified';
  return new LifecycleError(
    'LIFECYCLE_ILLEGAL_TRANSITION',
    `system ${id} is ${from}: it cannot move to ${to} (from ${from}: ${allowed}${why})`,
    [
      {
        field: 'to',
        rule: `lifecycle.${from}-to-${to}`,
        message: `allowed from ${from}: ${allowed}`,
      },
    ],
  );
}

/** A region's requirements beyond the national ones for going live there. */
export interface RegionRequirements {
  extraCertificateRoles: readonly string[];
  /** Share of the system's judged calls refused over the scorecard window; null = none. */
  maxViolationRate: number | null;
}

export interface Requirement {
  rule: string;
  message: string;
}

/**
 * What a system still lacks for a state: `certified` needs a valid certificate of its product
 * version for its role; `live` needs that plus the region's extra role certificates and its
 * violation-rate ceiling (`violationRate` undefined = could not be read, which fails closed).
 */
export function unmetRequirements(input: {
  to: LifecycleState;
  role: string;
  productVersionId: string;
  certificates: readonly (CertificateFacts & { role: string })[];
  now: Date;
  region: string;
  requirements?: RegionRequirements;
  violationRate?: number;
  accepted?: Readonly<Record<string, string | null>>;
}): Requirement[] {
  const { to, productVersionId: pv, now, region } = input;
  if (to !== 'certified' && to !== 'live') return [];
  const out: Requirement[] = [];
  const certified = (role: string): string | undefined => {
    const s = standingOf(
      input.certificates.filter((c) => c.role === role),
      now,
      input.accepted,
    );
    return s.ok ? undefined : s.reasons.join('; ') || 'none issued';
  };
  const own = certified(input.role);
  if (own !== undefined)
    out.push({
      rule: 'national.certificate',
      message: `product version ${pv} holds no valid ${input.role} conformance certificate (${own})`,
    });
  if (to === 'certified' || !input.requirements) return out;
  for (const role of input.requirements.extraCertificateRoles) {
    const why = certified(role);
    if (why !== undefined)
      out.push({
        rule: `region.${region}.certificate.${role}`,
        message: `${region} also requires a valid ${role} conformance certificate of product version ${pv} (${why})`,
      });
  }
  const max = input.requirements.maxViolationRate;
  if (max !== null) {
    const rate = input.violationRate;
    if (rate === undefined)
      out.push({
        rule: `region.${region}.violation-rate`,
        message: `${region} requires a violation rate of at most ${max}: the system's scorecard could not be read (no traffic counted, or no conformance service)`,
      });
    else if (rate > max)
      out.push({
        rule: `region.${region}.violation-rate`,
        message: `${region} requires a violation rate of at most ${max}: the system's is ${rate}`,
      });
  }
  return out;
}
