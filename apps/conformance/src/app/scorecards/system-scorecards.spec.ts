import { testCaller } from '@trellis/auth/testing';

import { validateRegionChanges } from '../policy/region-changes.service';
import {
  mayList,
  pageTokenAfter,
  validateListing,
  type SystemScorecardsQuery,
} from './system-scorecards.service';

const day = (d: string) => new Date(`2026-12-${d}T00:00:00Z`);
const query = (q: Partial<SystemScorecardsQuery> = {}): SystemScorecardsQuery => ({
  region: '',
  systemIds: [],
  periodStart: day('06'),
  periodEnd: day('07'),
  pageSize: 0,
  pageToken: '',
  ...q,
});
const fields = (q: Partial<SystemScorecardsQuery>) =>
  validateListing(query(q)).violations.map((v) => v.field);
const caller = (scopes: string[], region = 'north-east') =>
  testCaller({ systemId: 'authority-1', scopes, region });

describe('listing per-system scorecards: validation', () => {
  it('accepts a plain request and reads its page token back', () => {
    expect(validateListing(query()).violations).toEqual([]);
    expect(validateListing(query({ pageToken: pageTokenAfter('gp-7', query()) })).after).toBe(
      'gp-7',
    );
    // the period may move between pages (a default period follows the clock)
    const token = pageTokenAfter('gp-7', query());
    expect(validateListing(query({ pageToken: token, periodEnd: day('08') })).after).toBe('gp-7');
  });

  it('names every problem at once', () => {
    expect(
      fields({
        region: 'North East',
        systemIds: [''],
        periodEnd: day('05'),
        pageSize: 201,
        pageToken: 'not a token',
      }),
    ).toEqual(['region', 'system_ids', 'period_end', 'page_size', 'page_token']);
    expect(fields({ periodStart: undefined, periodEnd: day('30') })).toEqual(['period_start']);
    expect(fields({ periodStart: day('01'), periodEnd: new Date('2027-01-05T00:00:00Z') })).toEqual(
      ['period_end'],
    );
    expect(fields({ systemIds: Array.from({ length: 201 }, (_, i) => `s${i}`) })).toEqual([
      'system_ids',
    ]);
  });

  it('refuses a token it did not make (well-formed base64 of something else)', () => {
    expect(fields({ pageToken: Buffer.from('before:x').toString('base64url') })).toEqual([
      'page_token',
    ]);
    expect(fields({ pageToken: Buffer.from('after:').toString('base64url') })).toEqual([
      'page_token',
    ]);
    // another filter's token
    const london = pageTokenAfter('gp-7', query({ region: 'london' }));
    expect(fields({ pageToken: london, region: 'north-east' })).toEqual(['page_token']);
  });
});

describe('listing per-system scorecards: who', () => {
  const NE = ['system/MeasureReport.rs', 'region/north-east/scorecards.read'];

  it('the operator lists all or one region; an authority only its own region, named', () => {
    expect(() => mayList(caller(['trellis/admin'], 'london'), '')).not.toThrow();
    expect(() => mayList(caller(['trellis/admin'], 'london'), 'north-east')).not.toThrow();
    expect(() => mayList(caller(NE), 'north-east')).not.toThrow();
    expect(() => mayList(caller(NE), '')).toThrow(/names its region/);
    expect(() => mayList(caller(NE), 'london')).toThrow(/region london/);
    // a scope naming another region than the token's acts nowhere
    expect(() => mayList(caller(['region/london/scorecards.read']), 'london')).toThrow();
    // a system's own reading scope lists nothing
    expect(() => mayList(caller(['system/MeasureReport.rs']), 'north-east')).toThrow();
  });
});

describe("a region's compliance changes: validation", () => {
  const ok = {
    region: 'north-east',
    pageSize: 0,
    before: undefined as Date | undefined,
    beforeKey: '',
  };
  const f = (q: Partial<typeof ok>) => validateRegionChanges({ ...ok, ...q }).map((v) => v.field);

  it('takes a region and an optional (before, key) cursor', () => {
    expect(f({})).toEqual([]);
    expect(f({ before: day('06'), beforeKey: 'acme@1.0#0000000003' })).toEqual([]);
    expect(f({ before: day('06') })).toEqual([]);
  });

  it('names every problem at once', () => {
    expect(f({ region: '', pageSize: -1, beforeKey: 'acme@1.0#3' })).toEqual([
      'region',
      'page_size',
      'before_key',
      'before',
    ]);
    expect(f({ before: new Date(Number.NaN) })).toEqual(['before']);
  });
});
