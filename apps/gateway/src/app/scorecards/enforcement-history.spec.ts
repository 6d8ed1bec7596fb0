import { DomainError } from '@trellis/service-kit';

import {
  complianceCursor,
  encodeCursor,
  mergeHistory,
  parseHistoryQuery,
  type HistoryEntryJson,
} from './enforcement-history';

const entry = (id: string, at: string): HistoryEntryJson => ({
  id,
  at,
  kind: id.startsWith('a:') ? 'compliance' : id.startsWith('b:') ? 'registry' : 'lifecycle',
  event: '',
  systemIds: [],
  systemName: '',
  productVersionId: '',
  from: '',
  to: '',
  actor: '',
  reason: '',
  nationalOverride: false,
});

function refused(query: Record<string, unknown>): string[] {
  try {
    parseHistoryQuery(query, 'north-east');
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('INVALID_ARGUMENT');
    return (err as DomainError).details.map((v) => v.field);
  }
  throw new Error('accepted');
}

describe("a region's enforcement history: the query", () => {
  it('takes a page size and a token it made; 20 a page by default', () => {
    expect(parseHistoryQuery({}, 'north-east')).toEqual({ size: 20, cursor: undefined });
    const token = encodeCursor(
      { at: new Date('2026-12-07T01:00:00.123Z'), key: 'b:1234-ab' },
      'north-east',
    );
    expect(parseHistoryQuery({ pageSize: '5', pageToken: token }, 'north-east')).toEqual({
      size: 5,
      cursor: { at: new Date('2026-12-07T01:00:00.123Z'), key: 'b:1234-ab' },
    });
  });

  it('refuses unknown parameters, bad sizes and tokens it did not make', () => {
    expect(refused({ since: 'yesterday' })).toEqual(['since']);
    expect(refused({ pageSize: '0' })).toEqual(['pageSize']);
    expect(refused({ pageToken: 'x' })).toEqual(['pageToken']);
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(refused({ pageToken: forged({ at: 1, key: "z:' OR 1=1" }) })).toEqual(['pageToken']);
    expect(refused({ pageToken: forged({ at: 'soon', key: 'b:1' }) })).toEqual(['pageToken']);
    expect(refused({ pageToken: forged([1]) })).toEqual(['pageToken']);
    // a token of another region's history is not this page's
    const london = encodeCursor({ at: new Date(), key: 'b:1' }, 'london');
    expect(refused({ pageToken: london })).toEqual(['pageToken']);
  });
});

describe("a region's enforcement history: merging the logs", () => {
  const T = '2026-12-07T01:00:00.000Z';

  it('orders newest first, one instant by source (lifecycle, registry, compliance), and pages', () => {
    const logs = [
      [entry('a:acme@1#0000000002', T), entry('a:acme@1#0000000001', '2026-12-07T00:00:00.000Z')],
      [entry('b:9', T)],
      [entry('c:1', T), entry('c:0', '2026-12-07T02:00:00.000Z')],
    ];
    const first = mergeHistory(logs, 3, 'north-east');
    expect(first.entries.map((e) => e.id)).toEqual(['c:0', 'c:1', 'b:9']);
    expect(first.nextPageToken).toBe(encodeCursor({ at: new Date(T), key: 'b:9' }, 'north-east'));
    const all = mergeHistory(logs, 10, 'north-east');
    expect(all.entries.map((e) => e.id)).toEqual([
      'c:0',
      'c:1',
      'b:9',
      'a:acme@1#0000000002',
      'a:acme@1#0000000001',
    ]);
    expect(all.nextPageToken).toBe('');
  });

  it('asks the conformance service for what sorts after the cursor in its own key space', () => {
    const at = new Date(T);
    expect(complianceCursor(undefined)).toEqual({ before: undefined, beforeKey: '' });
    expect(complianceCursor({ at, key: 'a:acme@1#0000000002' })).toEqual({
      before: at,
      beforeKey: 'acme@1#0000000002',
    });
    // a registry or lifecycle entry at T: every compliance entry at T is older
    expect(complianceCursor({ at, key: 'b:9' })).toEqual({
      before: new Date(at.getTime() + 1),
      beforeKey: '',
    });
  });
});
