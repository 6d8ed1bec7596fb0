import { randomInt } from 'node:crypto';
import { completeNhsNumber } from '@trellis/nhs-number';

/**
 * A random, valid (modulus-11 check digit) NHS number from the 999 range reserved for test and
 * synthetic data. Bases whose check digit would be 10 are skipped, as the NHS does.
 */
export function fakeNhsNumber(random: (maxExclusive: number) => number = randomInt): string {
  for (;;) {
    const base = `999${String(random(1_000_000)).padStart(6, '0')}`;
    const full = completeNhsNumber(base);
    if (full) return full;
  }
}

/** `count` distinct fake NHS numbers. */
export function fakeNhsNumbers(count: number): string[] {
  const seen = new Set<string>();
  while (seen.size < count) seen.add(fakeNhsNumber());
  return [...seen];
}
