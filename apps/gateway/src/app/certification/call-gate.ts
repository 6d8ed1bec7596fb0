import { Injectable } from '@nestjs/common';
import {
  AuthError,
  AuthErrorCode,
  parseScope,
  type AdmissionCall,
  type Caller,
  type CallAdmission,
} from '@trellis/auth';

import { LifecycleService } from '../regions/lifecycle.service';
import { roleScopes } from './certificate-gate';
import { CertificationService } from './certification.service';
import { isCertifiableRole } from './exchange';
import { nonSandboxNhsNumbersInMessage } from './sandbox-data';

/** Rule ids of the lifecycle's call rule (issue 18), named in every refusal. */
export const CALL_RULES = {
  sessionOnly: 'lifecycle.sandbox-session-only',
  registered: 'lifecycle.registered',
  /** A local system whose product role has no conformance scheme, not live: no calls at all. */
  noSchemeNotLive: 'lifecycle.no-scheme-not-live',
  unknown: 'lifecycle.unknown-system',
  /** Within a session: a gRPC request naming an NHS number outside the 999 range. */
  sandboxData: 'conformance.sandbox-data',
} as const;

/** `inSession`: admitted only because its session is open (the sandbox's data rule applies). */
export type CallDecision =
  { ok: true; inSession?: true } | { ok: false; rule: string; message: string };

/**
 * Does a call with this required scope reach the domain platforms' data? Clinical resource scopes
 * (the role scopes of the certificate gate; not the kit's TestReport nor the scorecards) and the
 * regional waiting lists (answered by the referrals platform). The gRPC front door forwards only
 * platform methods, so every call it forwards does.
 */
export function reachesPlatforms(call: AdmissionCall): boolean {
  if (call.forwarded === true) return true;
  const scope = call.requiredScope;
  if (!scope) return false;
  let reaches = scopesReachingPlatforms.get(scope);
  if (reaches === undefined) {
    const p = parseScope(scope);
    reaches =
      roleScopes([scope]).length > 0 || (p?.kind === 'region' && p.action === 'waiting-lists.read');
    if (scopesReachingPlatforms.size >= 1_024) scopesReachingPlatforms.clear();
    scopesReachingPlatforms.set(scope, reaches);
  }
  return reaches;
}

/**
 * reachesPlatforms' answer per required scope (a pure function of the string): asked on every
 * call, parsing the scope again was ≈ 1 % of the gateway's read allocations (issue 23).
 */
const scopesReachingPlatforms = new Map<string, boolean>();

/**
 * The lifecycle's rule for a call to the platforms (issue 18): only a `live` system uses the real
 * platforms; a `sandbox` or `certified` one only within its conformance session (where the sandbox
 * admits 999-range test data only); a `registered` one not at all. A local system whose product
 * role has no conformance scheme (`other`) can hold no session, so it makes no platform call
 * before the national operator moves it live. The national operator's and the regional
 * authorities' own systems (`governance`) are no local systems: the lifecycle does not bind them.
 */
export function decideCall(input: {
  systemId: string;
  lifecycle: string | null;
  role: string;
  inSession: boolean;
  governance?: boolean;
}): CallDecision {
  const { systemId: id, lifecycle } = input;
  if (lifecycle === null)
    return {
      ok: false,
      rule: CALL_RULES.unknown,
      message: `system ${id} is not in the registry: calls to the platforms are refused`,
    };
  if (lifecycle === 'live' || input.governance === true) return { ok: true };
  if (lifecycle === 'registered')
    return {
      ok: false,
      rule: CALL_RULES.registered,
      message: `system ${id} is registered, not yet in the sandbox: it may not call the platforms (lifecycle registered → sandbox → certified → live)`,
    };
  if (!isCertifiableRole(input.role))
    return {
      ok: false,
      rule: CALL_RULES.noSchemeNotLive,
      message: `system ${id} is ${lifecycle}, not live, and its product's role ${input.role} has no conformance scheme (no session, no certificate): it may not call the platforms until the national operator moves it live`,
    };
  if (input.inSession) return { ok: true, inSession: true };
  return {
    ok: false,
    rule: CALL_RULES.sessionOnly,
    message: `system ${id} is ${lifecycle}, not live: it may call the platforms only within a conformance session (POST /fhir/TestScript/$start-session, 999-range test data) until the authority of its organisation's region approves it live`,
  };
}

/**
 * The lifecycle rule at both doors: the gateway's auth guard (FHIR REST) and its gRPC front door
 * call `admit` for every call, and it refuses a platform call `decideCall` refuses with
 * PERMISSION_DENIED / 403 naming the rule (audited and counted as any refusal of the guard).
 */
@Injectable()
export class CallLifecycleGate {
  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly certification: CertificationService,
  ) {}

  readonly admit: CallAdmission = async (caller: Caller, call: AdmissionCall): Promise<void> => {
    // a citizen's patient token is no connected system; its own rules apply (docs/citizen-access.md)
    if (caller.patient !== undefined || !reachesPlatforms(call)) return;
    const decision = await this.decide(caller.systemId);
    if (!decision.ok)
      throw new AuthError(
        AuthErrorCode.NotAdmitted,
        decision.message,
        `${call.key}: ${decision.rule}`,
        caller,
        decision.rule,
      );
    // the FHIR door's sandbox interceptor checks its requests; the gRPC door's are checked here
    const foreign =
      decision.inSession && call.message ? nonSandboxNhsNumbersInMessage(call.message()) : [];
    if (foreign.length > 0)
      throw new AuthError(
        AuthErrorCode.NotAdmitted,
        `a conformance session uses sandbox data only: NHS number ${foreign[0]!} is not in the 999 test range`,
        `${call.key}: ${CALL_RULES.sandboxData}`,
        caller,
        CALL_RULES.sandboxData,
      );
  };

  async decide(systemId: string): Promise<CallDecision> {
    const standing = await this.lifecycle.standingOf(systemId);
    const pending =
      standing !== null &&
      !standing.governance &&
      isCertifiableRole(standing.role) &&
      (standing.lifecycle === 'sandbox' || standing.lifecycle === 'certified');
    const inSession = pending && (await this.certification.openSessionOf(systemId)) !== null;
    return decideCall({
      systemId,
      lifecycle: standing?.lifecycle ?? null,
      role: standing?.role ?? 'other',
      inSession,
      governance: standing?.governance ?? false,
    });
  }
}
