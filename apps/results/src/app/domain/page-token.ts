import { type InstantIdCursor, instantIdCursor } from '@trellis/service-kit';

import { ResultsError } from './results.errors';

/** Keyset cursor: ISO instant (`t`) and id (`i`) of the last item returned, bound to the filter. */
export type Cursor = InstantIdCursor<'t'>;

export const pageToken = instantIdCursor('t', {
  refuse: (violation) => ResultsError.invalid([violation]),
  field: 'page.page_token',
});
