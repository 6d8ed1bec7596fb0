import type { HistoryEntryJson } from '@trellis/contracts';
import { type FieldViolation, pageCursor } from '@trellis/service-kit';

import { type HistoryCursor, KEY_PREFIX } from './enforcement-history.repository';
import { invalidQuery, pageArgs, unknownParameters } from './system-scorecards.query';

export type { HistoryEntryJson };

export interface HistoryPage {
  region: string;
  entries: HistoryEntryJson[];
  nextPageToken: string;
  /** False when the caller may not read the region's scorecards (compliance changes left out). */
  complianceIncluded: boolean;
}

const KNOWN = new Set(['pageSize', 'pageToken']);

const KEY = /^[abc]:[A-Za-z0-9@._+#-]{1,160}$/;

/** The shared page-token scheme (libs/service-kit), bound to the region the page belongs to. */
const HISTORY_CURSOR = pageCursor<HistoryCursor>({
  write: (c) => ({ at: c.at.getTime(), key: c.key }),
  read: ({ at, key }) =>
    typeof at === 'number' &&
    Number.isInteger(at) &&
    at >= 0 &&
    at <= 8.64e15 &&
    typeof key === 'string' &&
    KEY.test(key)
      ? { at: new Date(at), key }
      : undefined,
  refuse: (v) => invalidQuery([v]),
  field: 'pageToken',
  rule: 'format',
  message: 'a previous nextPageToken of this region',
});

export const encodeCursor = (c: HistoryCursor, region: string): string =>
  HISTORY_CURSOR.encode(c, { region });

/** `?pageSize=&pageToken=` and nothing else; the token is a cursor this route made. */
export function parseHistoryQuery(
  query: Record<string, unknown>,
  region: string,
): {
  size: number;
  cursor: HistoryCursor | undefined;
} {
  const v: FieldViolation[] = unknownParameters(query, KNOWN);
  const { pageSize, pageToken } = pageArgs(query, v);
  const judged = HISTORY_CURSOR.check(pageToken || undefined, { region });
  if (!judged.ok && !v.some((x) => x.field === 'pageToken')) v.push(judged.violation);
  if (v.length > 0) throw invalidQuery(v);
  return { size: pageSize || 20, cursor: judged.ok ? judged.cursor : undefined };
}

/**
 * The conformance service's cursor for a merged one: a compliance key is its own key; any other
 * source's key at the same instant sorts after every compliance key (prefixes a < b < c), so
 * every compliance entry of that instant is older — "before the next millisecond".
 */
export function complianceCursor(c: HistoryCursor | undefined): {
  before: Date | undefined;
  beforeKey: string;
} {
  if (!c) return { before: undefined, beforeKey: '' };
  if (c.key.startsWith(KEY_PREFIX.compliance))
    return { before: c.at, beforeKey: c.key.slice(KEY_PREFIX.compliance.length) };
  return { before: new Date(c.at.getTime() + 1), beforeKey: '' };
}

/** Newest first in (at, id) order across the sources; a next token when more remain. */
export function mergeHistory(
  sources: ReadonlyArray<readonly HistoryEntryJson[]>,
  size: number,
  region: string,
): { entries: HistoryEntryJson[]; nextPageToken: string } {
  const all = sources
    .flat()
    .sort((a, b) =>
      a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.id < b.id ? 1 : a.id > b.id ? -1 : 0,
    );
  const entries = all.slice(0, size);
  const last = entries[entries.length - 1];
  return {
    entries,
    nextPageToken:
      all.length > size && last
        ? encodeCursor({ at: new Date(last.at), key: last.id }, region)
        : '',
  };
}
