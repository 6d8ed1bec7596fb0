import { fieldsOf, pageArgs, pageOf, protoStrings } from './fields';

describe('message field helpers', () => {
  it('fieldsOf copies the named fields only, unchanged', () => {
    const totals = { requests: 4, accepted: 3, refused: 1, errors: 2 };
    expect(fieldsOf(totals, 'requests', 'refused')).toEqual({ requests: 4, refused: 1 });
  });

  it("protoStrings gives '' for null or absent text and keeps the rest", () => {
    const row: { advice: string | null; reason?: string | null; note: string | null } = {
      advice: null,
      note: 'seen',
    };
    expect(protoStrings(row, 'advice', 'reason', 'note')).toEqual({
      advice: '',
      reason: '',
      note: 'seen',
    });
  });

  it('pageOf keeps an absent page absent; pageArgs gives the zero values', () => {
    expect(pageOf(undefined)).toEqual({ pageSize: undefined, pageToken: undefined });
    expect(pageOf({ pageSize: 20, pageToken: 'abc' })).toEqual({ pageSize: 20, pageToken: 'abc' });
    expect(pageArgs(undefined)).toEqual([0, '']);
    expect(pageArgs({ pageSize: 20, pageToken: 'abc' })).toEqual([20, 'abc']);
  });
});
