import { percentile } from './statement';

describe('percentile', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];

  it('takes the nearest rank of the sorted values', () => {
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile(xs, 10)).toBe(1);
    expect(percentile(xs, 0)).toBe(1);
  });

  it('answers NaN for no values', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});
