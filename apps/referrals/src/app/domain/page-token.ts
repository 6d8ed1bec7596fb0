import { isoInstant, pageCursor } from '@trellis/platform';

import { ReferralsError } from './referrals.errors';

/**
 * Keyset cursors in the platform's one page-token scheme (see @trellis/platform pageCursor): the
 * last row's sort key, bound to a hash of the filter, so a token replayed with other filters is
 * refused instead of silently skipping rows.
 */
export interface Cursor {
  /** ISO start of the last item returned. */
  s: string;
  /** id of the last item returned (tie-breaker). */
  i: string;
}

const codec = pageCursor<Cursor>({
  write: (c) => ({ s: c.s, i: c.i }),
  read: ({ s, i }) => (isoInstant(s) && typeof i === 'string' ? { s, i } : undefined),
  refuse: (violation) => ReferralsError.invalid([violation]),
});

export function encodePageToken(cursor: Cursor, filter: unknown): string {
  return codec.encode(cursor, filter);
}

export function decodePageToken(
  token: string | undefined,
  filter: unknown,
  field = 'page_token',
): Cursor | undefined {
  return codec.decode(token, filter, field);
}
