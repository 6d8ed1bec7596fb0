import { createHash } from 'node:crypto';

import { ResultsError } from './results.errors';

/**
 * Keyset cursors: base64url JSON of the last row's sort key (an instant and the id) plus a hash of
 * the filter, so a token replayed with other filters is refused instead of silently skipping rows.
 */
export interface Cursor {
  /** ISO instant of the last item returned (issued or received, by query). */
  t: string;
  /** id of the last item returned (tie-breaker). */
  i: string;
}

export function filterHash(filter: unknown): string {
  return createHash('sha256').update(JSON.stringify(filter)).digest('base64url').slice(0, 16);
}

export function encodePageToken(cursor: Cursor, filter: unknown): string {
  return Buffer.from(JSON.stringify({ ...cursor, f: filterHash(filter) })).toString('base64url');
}

export function decodePageToken(
  token: string | undefined,
  filter: unknown,
  field = 'page.page_token',
): Cursor | undefined {
  if (!token) return undefined;
  const bad = () =>
    ResultsError.invalid([
      {
        field,
        rule: 'page-token',
        message: 'page_token is malformed or belongs to a different query',
      },
    ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null) throw bad();
  const { t, i, f } = parsed as Record<string, unknown>;
  if (
    typeof t !== 'string' ||
    typeof i !== 'string' ||
    f !== filterHash(filter) ||
    Number.isNaN(Date.parse(t))
  )
    throw bad();
  return { t, i };
}
