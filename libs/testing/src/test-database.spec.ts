import { faker } from '@faker-js/faker/locale/en_GB';
import { isValidNhsNumber } from '@trellis/nhs-number';

import { DAY, dayAt, HOUR, TestClock, testActor, testNhsNumber } from './test-database';

describe('platform test helpers', () => {
  it('TestClock stands still until set or advanced, and hands out copies', () => {
    const clock = new TestClock(new Date('2026-01-01T09:00:00Z'));
    const seen = clock.now();
    seen.setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe('2026-01-01T09:00:00.000Z');
    clock.advance(90 * 60_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T10:30:00.000Z');
    clock.set(new Date('2026-02-02T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2026-02-02T00:00:00.000Z');
  });

  it('testNhsNumber gives valid 999-range numbers, reproducible under faker.seed', () => {
    faker.seed(42);
    const first = Array.from({ length: 50 }, testNhsNumber);
    faker.seed(42);
    expect(Array.from({ length: 50 }, testNhsNumber)).toEqual(first);
    for (const n of first) {
      expect(n).toMatch(/^999\d{7}$/);
      expect(isValidNhsNumber(n)).toBe(true);
    }
  });

  it('testActor names the system after its ODS code', () => {
    expect(testActor('RX1')).toEqual({ systemId: 'sys-rx1', odsCode: 'RX1', region: 'london' });
    expect(testActor('A81001', 'north-east').region).toBe('north-east');
  });

  it('dayAt is midnight UTC `days` ahead plus hh:mm', () => {
    const from = new Date('2026-03-10T17:45:12Z');
    expect(dayAt(0, 9, 30, from).toISOString()).toBe('2026-03-10T09:30:00.000Z');
    expect(dayAt(2, 14, 0, from).toISOString()).toBe('2026-03-12T14:00:00.000Z');
    expect(DAY).toBe(24 * HOUR);
  });
});
