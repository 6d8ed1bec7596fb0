import { isoInstant, pageCursor } from '@trellis/service-kit';

import { AuditError } from '../audit.errors';
import type { AccessCursor } from '../store/access-events.repository';

/**
 * Keyset cursors in the platform's one page-token scheme (see @trellis/service-kit pageCursor): the
 * last row's (recorded_at, audit_id), bound to a hash of the filter, so a token replayed with
 * another filter is refused instead of silently skipping rows.
 */
export const pageToken = pageCursor<AccessCursor>({
  write: (c) => ({ t: c.recordedAt.toISOString(), i: c.auditId }),
  read: ({ t, i }) =>
    isoInstant(t) && typeof i === 'string' && /^[0-9a-f-]{36}$/.test(i)
      ? { recordedAt: new Date(t), auditId: i }
      : undefined,
  refuse: (violation) => AuditError.invalid([violation]),
});
