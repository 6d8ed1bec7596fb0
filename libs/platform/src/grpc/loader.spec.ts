import { nullsToUndefined } from './loader';

describe('nullsToUndefined', () => {
  it('replaces nulls deeply, leaves bytes and values alone', () => {
    const blob = Buffer.from([1, 2]);
    const input = { a: null, b: { c: null, d: [{ e: null, f: 1 }] }, blob, s: '' };
    expect(nullsToUndefined(input)).toEqual({
      a: undefined,
      b: { c: undefined, d: [{ e: undefined, f: 1 }] },
      blob,
      s: '',
    });
    expect(input.blob).toBe(blob);
    expect(Object.prototype.hasOwnProperty.call(input, 'a')).toBe(true);
  });
});
