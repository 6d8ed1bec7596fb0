import { FieldViolations, pageSize as platformPageSize } from '@trellis/service-kit';

import { ResultsError } from './results.errors';

export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

/** The results platform's violation collector: every problem at once, as ResultsError.invalid. */
export class Violations extends FieldViolations {
  constructor() {
    super((list) => ResultsError.invalid([...list]));
  }

  /**
   * A results identifier (a lab report, a practitioner, a referral): IDENTIFIER under rule
   * `identifier`, the message naming the field by its last segment unless given.
   */
  identifier(
    field: string,
    value: string,
    message = `${field.slice(field.lastIndexOf('.') + 1)} must be 1-64 letters, digits or . _ : / -`,
  ): boolean {
    return this.pattern(field, value, IDENTIFIER, 'identifier', message);
  }
}

/** A page size for results searches (0 = default 50, at most 500). */
export function pageSize(
  requested: number | undefined,
  violations: Violations,
  field = 'page.page_size',
  max = 500,
  fallback = 50,
): number {
  return platformPageSize(requested, violations, field, max, fallback);
}
