import { isoInstant, pageCursor } from '@trellis/platform';

import { ResultsError } from './results.errors';

/**
 * Keyset cursors in the platform's one page-token scheme (see @trellis/platform pageCursor): the
 * last row's sort key, bound to a hash of the filter, so a token replayed with other filters is
 * refused instead of silently skipping rows.
 */
export interface Cursor {
  /** ISO instant of the last item returned (issued or received, by query). */
  t: string;
  /** id of the last item returned (tie-breaker). */
  i: string;
}

const codec = pageCursor<Cursor>({
  write: (c) => ({ t: c.t, i: c.i }),
  read: ({ t, i }) => (isoInstant(t) && typeof i === 'string' ? { t, i } : undefined),
  refuse: (violation) => ResultsError.invalid([violation]),
});

export function encodePageToken(cursor: Cursor, filter: unknown): string {
  return codec.encode(cursor, filter);
}

export function decodePageToken(
  token: string | undefined,
  filter: unknown,
  field = 'page.page_token',
): Cursor | undefined {
  return codec.decode(token, filter, field);
}
