import { afterKeyset, keysetOrder } from './keyset';

const at = new Date('2026-12-07T10:00:00Z');

describe('keyset paging on (instant, id)', () => {
  it('asks for a later instant, or the same instant and a later id', () => {
    expect(afterKeyset('createdAt', { at, id: 'b' })).toEqual({
      OR: [{ createdAt: { gt: at } }, { createdAt: at, id: { gt: 'b' } }],
    });
    expect(keysetOrder('createdAt')).toEqual([{ createdAt: 'asc' }, { id: 'asc' }]);
  });

  it('descending: an earlier instant, or the same instant and an earlier id', () => {
    expect(afterKeyset('startAt', { at, id: 'b' }, 'desc')).toEqual({
      OR: [{ startAt: { lt: at } }, { startAt: at, id: { lt: 'b' } }],
    });
    expect(keysetOrder('startAt', 'desc')).toEqual([{ startAt: 'desc' }, { id: 'desc' }]);
  });
});
