import { DomainError, type FieldViolation } from '@trellis/service-kit';

export interface SystemScorecardsArgs {
  systemIds: string[];
  periodStart: Date;
  periodEnd: Date;
  pageSize: number;
  pageToken: string;
}

const KNOWN = new Set(['systemId', 'periodStart', 'periodEnd', 'pageSize', 'pageToken']);
const MAX_IDS = 200;
const DAY_MS = 24 * 3600_000;

/** The JSON query's own 400: every problem at once, with field violations. */
export function invalidQuery(violations: FieldViolation[]): DomainError {
  return new DomainError(
    'gateway',
    'INVALID_QUERY',
    'INVALID_ARGUMENT',
    `invalid ${violations.map((v) => v.field).join(', ')}`,
    violations,
  );
}

/** Refuses parameters the route does not know (a misspelt filter must not widen a read). */
export function unknownParameters(
  query: Record<string, unknown>,
  known: ReadonlySet<string>,
): FieldViolation[] {
  return Object.keys(query)
    .filter((k) => !known.has(k))
    .map((k) => ({ field: k, rule: 'unknown', message: 'unknown parameter' }));
}

/** pageSize (1–200) and an opaque pageToken, each given at most once. */
export function pageArgs(
  query: Record<string, unknown>,
  v: FieldViolation[],
): { pageSize: number; pageToken: string } {
  const { pageSize = '', pageToken = '' } = query;
  if (
    typeof pageSize !== 'string' ||
    (pageSize !== '' && (!/^\d{1,3}$/.test(pageSize) || +pageSize < 1 || +pageSize > 200))
  )
    v.push({ field: 'pageSize', rule: 'range', message: 'a number from 1 to 200' });
  if (typeof pageToken !== 'string' || !/^[A-Za-z0-9_-]{0,400}$/.test(pageToken))
    v.push({ field: 'pageToken', rule: 'format', message: 'a previous nextPageToken' });
  return {
    pageSize: typeof pageSize === 'string' && /^\d+$/.test(pageSize) ? Number(pageSize) : 0,
    pageToken: typeof pageToken === 'string' ? pageToken : '',
  };
}

/**
 * `GET …/system-scorecards`: `systemId` (repeatable, at most 200: the rows of a table page),
 * `periodStart` + `periodEnd` (ISO 8601, both or neither; default the 24 hours up to the next
 * minute), `pageSize`, `pageToken`. Anything else is a 400.
 */
export function parseSystemScorecardsQuery(
  query: Record<string, unknown>,
  now: Date = new Date(),
): SystemScorecardsArgs {
  const v = unknownParameters(query, KNOWN);
  const raw = query['systemId'];
  const ids = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (!ids.every((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 128))
    v.push({ field: 'systemId', rule: 'format', message: 'system ids of 1 to 128 characters' });
  else if (ids.length > MAX_IDS)
    v.push({ field: 'systemId', rule: 'max', message: `at most ${MAX_IDS}` });
  const at = (name: 'periodStart' | 'periodEnd'): Date | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    const d =
      typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)
        ? new Date(value)
        : new Date(Number.NaN);
    if (Number.isNaN(d.getTime()))
      v.push({ field: name, rule: 'date-time', message: 'an ISO 8601 date-time' });
    return d;
  };
  const start = at('periodStart');
  const end = at('periodEnd');
  if ((start === undefined) !== (end === undefined))
    v.push({ field: 'periodEnd', rule: 'both', message: 'periodStart and periodEnd go together' });
  const page = pageArgs(query, v);
  if (v.length > 0) throw invalidQuery(v);
  const periodEnd = end ?? new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
  return {
    systemIds: ids as string[],
    periodStart: start ?? new Date(periodEnd.getTime() - DAY_MS),
    periodEnd,
    ...page,
  };
}
