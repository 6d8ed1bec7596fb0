import { type InstantIdCursor, instantIdCursor } from '@trellis/service-kit';

import { AppointmentsError } from './appointments.errors';

/** Keyset cursor: ISO start (`s`) and id (`i`) of the last item returned, bound to the filter. */
export type Cursor = InstantIdCursor<'s'>;

export const pageToken = instantIdCursor('s', {
  refuse: (violation) => AppointmentsError.invalid([violation]),
  field: 'page_token',
});
