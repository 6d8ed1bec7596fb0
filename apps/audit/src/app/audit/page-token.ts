import { createHash } from 'node:crypto';

import { AuditError } from '../audit.errors';
import type { AccessCursor, AccessFilter } from '../store/access-events.repository';

/**
 * Keyset cursors: base64url JSON of the last row's (recorded_at, audit_id) plus a hash of the
 * filter, so a token replayed with another filter is refused instead of silently skipping rows.
 */
function filterHash(filter: AccessFilter): string {
  const canonical = Object.entries(filter)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
}

export function encodePageToken(cursor: AccessCursor, filter: AccessFilter): string {
  return Buffer.from(
    JSON.stringify({
      t: cursor.recordedAt.toISOString(),
      i: cursor.auditId,
      f: filterHash(filter),
    }),
  ).toString('base64url');
}

export function decodePageToken(token: string, filter: AccessFilter): AccessCursor | undefined {
  if (!token) return undefined;
  const bad = () =>
    AuditError.invalid([
      {
        field: 'page.page_token',
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
  if (typeof t !== 'string' || typeof i !== 'string' || f !== filterHash(filter)) throw bad();
  const recordedAt = new Date(t);
  if (Number.isNaN(recordedAt.getTime()) || !/^[0-9a-f-]{36}$/.test(i)) throw bad();
  return { recordedAt, auditId: i };
}
