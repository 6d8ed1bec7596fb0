/**
 * Bounded polling for integration tests: a condition is checked again and again until it holds or
 * the deadline passes, never a fixed sleep. Deadlines are generous by design (a saturated CI
 * machine is slow); the interval only bounds how soon a met condition is noticed.
 */
export interface PollOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between checks (default 100 ms). */
  intervalMs?: number;
  /** Appended to the timeout error: what was seen instead (e.g. the messages received). */
  detail?: () => string | Promise<string>;
}

async function timedOut(what: string, timeoutMs: number, options: PollOptions): Promise<Error> {
  const detail = options.detail ? `: ${await options.detail()}` : '';
  return new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/**
 * Calls `probe` until it returns a value other than `undefined` and resolves that value; rejects
 * once `timeoutMs` has passed (the probe's own errors propagate at once).
 */
export async function pollUntil<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: PollOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw await timedOut(what, timeoutMs, options);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until `condition` is true; rejects once `timeoutMs` has passed. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  options: PollOptions = {},
): Promise<void> {
  await pollUntil(what, async () => ((await condition()) ? true : undefined), options);
}

/**
 * Like `pollUntil`, for probes that answer `false` (or another falsy value) while not ready:
 * resolves the first truthy value.
 */
export function pollUntilTruthy<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: PollOptions = {},
): Promise<T> {
  return pollUntil(what, async () => (await probe()) || undefined, options);
}
