// The one page-token scheme: an opaque keyset cursor. The token is base64url JSON of the cursor's
// fields plus `f`, a hash of the query it belongs to (the filter, the caller's view), so a token
// replayed with another query is refused instead of silently skipping rows. Every refusal — not
// base64url, not JSON, a field missing or malformed, another query's token — is the service's own
// INVALID_ARGUMENT with one precise field violation, never a 5xx.
import { createHash } from 'node:crypto';

import { type FieldViolation } from './errors';

/** Longest token accepted: cursors are a few short fields (a longer one cannot be ours). */
export const MAX_PAGE_TOKEN_LENGTH = 1024;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SCOPE_KEY = 'f';

/** A cursor field as it travels in a token. */
export type CursorField = string | number | boolean;

export interface PageCursorSpec<C> {
  /** The cursor's fields as they travel (short keys; `f` is reserved for the query hash). */
  write: (cursor: C) => Readonly<Record<string, CursorField>>;
  /** The cursor back from a token's fields; undefined when one is missing or malformed. */
  read: (fields: Readonly<Record<string, unknown>>) => C | undefined;
  /** The service's INVALID_ARGUMENT for a refused token. */
  refuse: (violation: FieldViolation) => Error;
  /** Request field the violation names (default `page.page_token`). */
  field?: string;
  /** Rule id of the violation (default `page-token`). */
  rule?: string;
  /** Message of the violation (default: malformed or another query's). */
  message?: string;
}

export interface PageCursorCodec<C> {
  /** The opaque token of `cursor` for the query `scope`. */
  encode(cursor: C, scope?: unknown): string;
  /** The cursor of a token made for `scope` (undefined for no token); refuses any other. */
  decode(token: string | undefined, scope?: unknown, field?: string): C | undefined;
  /**
   * The same judgement without throwing, for validators that report every problem at once:
   * `ok: false` carries the violation `decode` would have refused with.
   */
  check(
    token: string | undefined,
    scope?: unknown,
    field?: string,
  ): { ok: true; cursor: C | undefined } | { ok: false; violation: FieldViolation };
  /**
   * A page of a keyset query fetched with `size + 1` rows: the first `size`, and the token of the
   * next page (after the last row returned) when the extra row shows there is one, else ''.
   */
  page<R>(
    rows: readonly R[],
    size: number,
    cursorOf: (last: R) => C,
    scope?: unknown,
  ): { rows: R[]; nextPageToken: string };
}

function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]);
  }
  return value;
}

/** A short, order-independent hash of a query (object keys sorted, dates as ISO instants). */
export function scopeHash(scope: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(scope ?? null)) ?? 'null')
    .digest('base64url')
    .slice(0, 16);
}

function fieldsOf(token: string): Record<string, unknown> | undefined {
  if (token.length > MAX_PAGE_TOKEN_LENGTH || !BASE64URL.test(token)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return parsed as Record<string, unknown>;
}

/** A page-token codec for one listing's cursor. */
export function pageCursor<C>(spec: PageCursorSpec<C>): PageCursorCodec<C> {
  const violationOf = (field: string): FieldViolation => ({
    field,
    rule: spec.rule ?? 'page-token',
    message: spec.message ?? 'page_token is malformed or belongs to a different query',
  });
  const cursorOf = (token: string, scope: unknown): C | undefined => {
    const fields = fieldsOf(token);
    if (!fields || fields[SCOPE_KEY] !== scopeHash(scope)) return undefined;
    try {
      return spec.read(fields);
    } catch {
      return undefined;
    }
  };
  const check: PageCursorCodec<C>['check'] = (
    token,
    scope,
    field = spec.field ?? 'page.page_token',
  ) => {
    if (!token) return { ok: true, cursor: undefined };
    const cursor = cursorOf(token, scope);
    return cursor === undefined
      ? { ok: false, violation: violationOf(field) }
      : { ok: true, cursor };
  };
  const encode: PageCursorCodec<C>['encode'] = (cursor, scope) => {
    const fields = { ...spec.write(cursor), [SCOPE_KEY]: scopeHash(scope) };
    return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
  };
  return {
    encode,
    decode(token, scope, field) {
      const judged = check(token, scope, field);
      if (!judged.ok) throw spec.refuse(judged.violation);
      return judged.cursor;
    },
    check,
    page(rows, size, cursorOf, scope) {
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return {
        rows: page,
        nextPageToken:
          rows.length > size && last !== undefined ? encode(cursorOf(last), scope) : '',
      };
    },
  };
}

/** A cursor field that must be an ISO instant (a keyset's timestamp). */
export function isoInstant(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

/** The common keyset cursor: the last row's ISO instant under `K` and its id under `i` (tie-breaker). */
export type InstantIdCursor<K extends string> = Readonly<Record<K, string>> & {
  readonly i: string;
};

/** A page-token codec of an {@link InstantIdCursor}, which pages rows by their instant and id. */
export interface InstantIdCursorCodec<K extends string> extends PageCursorCodec<
  InstantIdCursor<K>
> {
  /**
   * `page` for rows in (instant, id) keyset order: `keyOf(last)` names the last row's instant and
   * its id (or version), so the listing states which columns it is ordered by, not how the cursor
   * spells them.
   */
  pageBy<R>(
    rows: readonly R[],
    size: number,
    keyOf: (last: R) => readonly [at: Date, id: string | number],
    scope?: unknown,
  ): { rows: R[]; nextPageToken: string };
}

/**
 * The codec of an {@link InstantIdCursor}: a listing declares only its sort key's short name, its
 * refusal and the request field a bad token is reported against.
 */
export function instantIdCursor<K extends string>(
  key: K,
  spec: Pick<PageCursorSpec<InstantIdCursor<K>>, 'refuse' | 'field'>,
): InstantIdCursorCodec<K> {
  const codec = pageCursor<InstantIdCursor<K>>({
    ...spec,
    write: (c) => ({ [key]: c[key], i: c.i }),
    read: (fields) => {
      const at = fields[key];
      const { i } = fields;
      return isoInstant(at) && typeof i === 'string'
        ? ({ [key]: at, i } as InstantIdCursor<K>)
        : undefined;
    },
  });
  return {
    ...codec,
    pageBy: (rows, size, keyOf, scope) =>
      codec.page(
        rows,
        size,
        (last) => {
          const [at, id] = keyOf(last);
          return { [key]: at.toISOString(), i: String(id) } as InstantIdCursor<K>;
        },
        scope,
      ),
  };
}
