export interface BackoffOptions {
  /** First delay in ms (default 100). */
  initialMs?: number;
  /** Ceiling in ms (default 30 000). */
  maxMs?: number;
  /** Growth factor (default 2). */
  factor?: number;
  /** Random spread, 0..1, applied as ±jitter (default 0.2). */
  jitter?: number;
}

/** Delay before retry number `attempt` (1 = first retry): initial·factor^(attempt-1), capped, jittered. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.2;
  const base = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt - 1)));
  const spread = base * jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(max, Math.round(base + spread)));
}

/** Sleep that resolves early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
