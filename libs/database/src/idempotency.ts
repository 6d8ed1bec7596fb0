import { isUniqueViolation } from './errors';

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

/** One create request made idempotent by its client's key (see {@link idempotentCreate}). */
export interface IdempotentCreate<R> {
  /** The earlier answer to this request (its key's row), undefined when there is none. */
  replay(): Promise<R | undefined>;
  /**
   * Writes the row; when a concurrent request with the same key won the race (`write` failed as
   * `lost` says, by default a unique violation), answers the winner's row as a replay (or refuses
   * the key's reuse). Without a winner the failure stands.
   */
  create(
    write: () => Promise<R>,
    lost?: (err: unknown) => boolean,
  ): Promise<{ row: R; replayed: boolean }>;
}

/**
 * The idempotency protocol of a create under a client's key: the row stored under the key answers
 * the same request again (`replay`) and refuses another (`reused`), before the write and after a
 * lost race alike.
 */
export function idempotentCreate<R extends { requestHash: string | null }>(request: {
  /** The row stored under the request's key, if any. */
  stored: () => Promise<R | null | undefined>;
  requestHash: string;
  /** The refusal of the key used for another request. */
  reused: (existing: R) => Error;
}): IdempotentCreate<R> {
  const replay = () => idempotentReplay(request.stored(), request.requestHash, request.reused);
  return {
    replay,
    async create(write, lost = (err: unknown) => isUniqueViolation(err)) {
      try {
        return { row: await write(), replayed: false };
      } catch (err) {
        if (!lost(err)) throw err;
        const winner = await replay();
        if (winner === undefined) throw err;
        return { row: winner, replayed: true };
      }
    },
  };
}
