import { fromOptionalTimestamp, fromTimestamp, toTimestamp } from './timestamp';

describe('timestamp', () => {
  it('round-trips millisecond precision, including before 1970', () => {
    for (const iso of [
      '2026-11-23T23:10:00.123Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
    ]) {
      const ts = toTimestamp(new Date(iso));
      expect(ts.nanos).toBeGreaterThanOrEqual(0);
      expect(ts.nanos).toBeLessThan(1e9);
      expect(fromTimestamp(ts).toISOString()).toBe(iso);
    }
  });
  it('rejects invalid dates and tolerates omitted zero fields', () => {
    expect(() => toTimestamp(new Date('nope'))).toThrow(RangeError);
    expect(fromTimestamp({}).toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });
  it('reads an absent message field as no date', () => {
    expect(fromOptionalTimestamp(undefined)).toBeUndefined();
    expect(fromOptionalTimestamp(null)).toBeUndefined();
    expect(fromOptionalTimestamp({ seconds: 1, nanos: 5_000_000 })?.toISOString()).toBe(
      '1970-01-01T00:00:01.005Z',
    );
  });
});
