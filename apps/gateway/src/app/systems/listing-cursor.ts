import { isoInstant, pageCursor } from '@trellis/service-kit';

import { SystemsError, SystemsErrorCode } from './systems.errors';

/** Where a registry listing (systems, products) continues: the last row's (created_at, id). */
export interface ListingCursor {
  createdAt: Date;
  id: string;
}

/**
 * The registry listings' page tokens, in the platform's one scheme; the scope names the listing
 * and its filter, so a token of another listing or filter is refused.
 */
export const listingCursor = pageCursor<ListingCursor>({
  write: (c) => ({ c: c.createdAt.toISOString(), i: c.id }),
  read: ({ c, i }) =>
    isoInstant(c) && typeof i === 'string' ? { createdAt: new Date(c), id: i } : undefined,
  refuse: (violation) =>
    new SystemsError(SystemsErrorCode.InvalidArgument, 'invalid page token', [violation]),
  message: 'not a token from this listing',
});
