/**
 * The row an earlier create stored under an idempotency key, for a replay: undefined when there is
 * none; `reused(existing)` is thrown when the key was used for a different request (another
 * request hash), since replaying it would answer a request the caller did not make.
 */
export async function idempotentReplay<R extends { requestHash: string | null }>(
  existing: Promise<R | null | undefined>,
  requestHash: string,
  reused: (existing: R) => Error,
): Promise<R | undefined> {
  const row = await existing;
  if (!row) return undefined;
  if (row.requestHash !== requestHash) throw reused(row);
  return row;
}
