import { type Caller } from './caller';
import { type GatewayVouchVerifier, vouchedRestriction } from './gateway-vouch';
import { type SuspensionCheck, type SystemStatusCheck } from './suspension-check';
import { AuthError } from './errors';

/** The vouch a call carries, and how this service verifies it (platforms only). */
export interface CallVouch {
  /** The vouch header's value (absent: none). */
  value: unknown;
  verifier: GatewayVouchVerifier;
  /** The service whose service token came with the call (a peer may forward its vouch). */
  callingService?: string;
}

/**
 * A call's system status. The service's own registry (fed by its suspension feed) decides once it
 * has replayed. Until then a platform (no fallback) decides on the gateway's vouch: valid → the
 * vouched status; absent or refused → wait a bounded time for the replay (none while the feed is
 * down), then unavailable. Whatever decides, the stricter answer wins: a suspension or restriction
 * the registry knows stands, and a vouch saying writes-restricted restricts.
 */
export async function callStatus(
  check: SuspensionCheck,
  caller: Caller,
  accessToken: string,
  readyTimeoutMs: number,
  vouch?: CallVouch,
): Promise<SystemStatusCheck> {
  const systemId = caller.systemId;
  const present = vouch !== undefined && vouch.value !== undefined && vouch.value !== '';
  if (!vouch || check.hasFallback || check.registry.ready)
    return stricter(await check.check(systemId, readyTimeoutMs), vouch, caller);
  let refusedWhy = 'no gateway vouch';
  if (present) {
    try {
      const vouched = await vouch.verifier.verify(vouch.value, {
        accessToken,
        systemId,
        ...(vouch.callingService ? { callingService: vouch.callingService } : {}),
      });
      return {
        available: true,
        // what the replay already applied still counts (the stricter of the two)
        suspended: check.registry.isSuspended(systemId),
        writesRestricted:
          vouched.status === 'writes-restricted' || check.registry.isWritesRestricted(systemId),
        source: 'vouch',
      };
    } catch (err) {
      refusedWhy = err instanceof AuthError ? (err.reason ?? err.message) : String(err);
    }
  }
  // a feed that failed to start will not finish a replay within this call
  const wait = check.feedState.state === 'down' ? 0 : readyTimeoutMs;
  const status = await check.check(systemId, wait);
  if (!status.available) return { available: false, reason: `${status.reason}; ${refusedWhy}` };
  return stricter(status, vouch, caller);
}

/** A vouch saying writes-restricted restricts (read unverified: it can only tighten). */
function stricter(
  status: SystemStatusCheck,
  vouch: CallVouch | undefined,
  caller: Caller,
): SystemStatusCheck {
  if (!status.available || status.writesRestricted || !vouch) return status;
  return vouchedRestriction(vouch.value, caller) === true
    ? { ...status, writesRestricted: true }
    : status;
}
