/**
 * Wait before retry `attempt` (1 = after the first failure): base·2^(attempt−1), capped, with up
 * to 20 % jitter below the value so many failing subscribers do not retry in lockstep.
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.max(1, Math.round(exp * (1 - 0.2 * random())));
}
