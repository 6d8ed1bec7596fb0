import { DomainError } from '@trellis/service-kit';

import { parseSystemScorecardsQuery } from './system-scorecards.query';

const NOW = new Date('2026-12-07T02:30:20Z');

function refused(query: Record<string, unknown>): string[] {
  try {
    parseSystemScorecardsQuery(query, NOW);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('INVALID_ARGUMENT');
    return (err as DomainError).details.map((v) => v.field);
  }
  throw new Error('accepted');
}

describe('GET /admin/v1/system-scorecards: the query', () => {
  it('defaults to the 24 hours up to the next minute, every system, the first page', () => {
    expect(parseSystemScorecardsQuery({}, NOW)).toEqual({
      systemIds: [],
      periodStart: new Date('2026-12-06T02:31:00Z'),
      periodEnd: new Date('2026-12-07T02:31:00Z'),
      pageSize: 0,
      pageToken: '',
    });
  });

  it('takes one or many systemId, a period, a page size and token', () => {
    const q = parseSystemScorecardsQuery(
      {
        systemId: ['gp-1', 'gp-2'],
        periodStart: '2026-12-01T00:00:00Z',
        periodEnd: '2026-12-02T00:00:00Z',
        pageSize: '50',
        pageToken: 'YWZ0ZXI6Z3AtMg',
      },
      NOW,
    );
    expect(q).toMatchObject({ systemIds: ['gp-1', 'gp-2'], pageSize: 50 });
    expect(q.periodStart.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parseSystemScorecardsQuery({ systemId: 'gp-1' }, NOW).systemIds).toEqual(['gp-1']);
  });

  it('refuses unknown parameters and names every problem at once', () => {
    expect(refused({ since: 'yesterday', pageSize: '0', pageToken: 'not a token!' })).toEqual([
      'since',
      'pageSize',
      'pageToken',
    ]);
    expect(refused({ pageSize: '201' })).toEqual(['pageSize']);
    expect(refused({ pageSize: ['1', '2'] })).toEqual(['pageSize']);
    expect(refused({ pageToken: ['a', 'b'] })).toEqual(['pageToken']);
  });

  it('refuses a bad period: not a date-time, or only one end', () => {
    expect(refused({ periodStart: 'yesterday', periodEnd: '2026-12-02T00:00:00Z' })).toEqual([
      'periodStart',
    ]);
    expect(refused({ periodStart: '2026-12-01T00:00:00Z' })).toEqual(['periodEnd']);
  });

  it('refuses empty, nested or too many system ids', () => {
    expect(refused({ systemId: '' })).toEqual(['systemId']);
    expect(refused({ systemId: { a: 'b' } })).toEqual(['systemId']);
    expect(refused({ systemId: 'x'.repeat(129) })).toEqual(['systemId']);
    expect(refused({ systemId: Array.from({ length: 201 }, (_, i) => `s-${i}`) })).toEqual([
      'systemId',
    ]);
  });
});
