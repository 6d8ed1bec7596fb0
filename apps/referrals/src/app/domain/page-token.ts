import { type InstantIdCursor, instantIdCursor } from '@trellis/service-kit';

import { ReferralsError } from './referrals.errors';

/** Keyset cursor: ISO instant (`s`) and id (`i`) of the last item returned, bound to the filter. */
export type Cursor = InstantIdCursor<'s'>;

export const pageToken = instantIdCursor('s', {
  refuse: (violation) => ReferralsError.invalid([violation]),
  field: 'page_token',
});
