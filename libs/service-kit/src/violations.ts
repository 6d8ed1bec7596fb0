import { validateNhsNumber } from '@trellis/nhs-number';

import type { FieldViolation } from './errors';
import { ODS_CODE, organisationByOdsCode, type Organisation } from './reference/organisations';

export { ODS_CODE };
export const REGION_CODE = /^[a-z][a-z0-9-]{1,39}$/;
export const CODE = /^[A-Za-z0-9][A-Za-z0-9._:|/-]{0,99}$/;
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Collects every problem in a request, then throws them all at once (never one at a time) as the
 * service's own validation error, built by `toError`.
 */
export class FieldViolations {
  private readonly list: FieldViolation[] = [];

  constructor(private readonly toError: (violations: FieldViolation[]) => Error) {}

  add(field: string, rule: string, message: string): this {
    this.list.push({ field, rule, message });
    return this;
  }

  get count(): number {
    return this.list.length;
  }

  required(field: string, value: string | undefined | null): value is string {
    if (value === undefined || value === null || value.trim() === '') {
      this.add(field, 'required', `${field} is required`);
      return false;
    }
    return true;
  }

  pattern(field: string, value: string, re: RegExp, rule: string, message: string): boolean {
    if (!re.test(value)) {
      this.add(field, rule, message);
      return false;
    }
    return true;
  }

  /** A code or identifier (letters, digits and . _ : | / -, at most 100). */
  code(field: string, value: string, message: string): boolean {
    return this.pattern(field, value, CODE, 'code', message);
  }

  /** An idempotency key's syntax (whether one is required is the caller's rule). */
  idempotencyKey(field: string, value: string): boolean {
    return this.pattern(
      field,
      value,
      IDEMPOTENCY_KEY,
      'idempotency-key',
      'idempotency_key must be 8-128 characters of letters, digits, . _ : -',
    );
  }

  uuid(field: string, value: string | undefined): boolean {
    if (!this.required(field, value)) return false;
    return this.pattern(field, value, UUID, 'uuid', `${field} must be a UUID`);
  }

  maxLength(field: string, value: string | undefined, max: number): boolean {
    if (value !== undefined && value.length > max) {
      this.add(field, 'max-length', `${field} must be at most ${max} characters`);
      return false;
    }
    return true;
  }

  region(field: string, value: string | undefined): boolean {
    if (!this.required(field, value)) return false;
    return this.pattern(
      field,
      value,
      REGION_CODE,
      'region',
      `${field} must be a region short code (e.g. "north-east")`,
    );
  }

  odsCode(field: string, value: string | undefined, required = true): boolean {
    if (!value) return required ? this.required(field, value) : true;
    return this.pattern(
      field,
      value,
      ODS_CODE,
      'ods-code',
      `${field} must be an ODS code (3-10 upper-case letters or digits)`,
    );
  }

  /**
   * An ODS code that must name an organisation of the reference table: syntax first (rule
   * `ods-code`), then existence (rule `organisation.unknown`). Returns the organisation.
   */
  organisation(field: string, value: string | undefined): Organisation | undefined {
    if (!this.odsCode(field, value)) return undefined;
    const org = organisationByOdsCode(value);
    if (!org)
      this.add(
        field,
        'organisation.unknown',
        `${field} ${value ?? ''} is not an organisation in the ODS reference data`,
      );
    return org;
  }

  /**
   * A region a caller stated for an organisation must be the reference data's (rule
   * `region.mismatch`); an empty claim is fine — the region is taken from the reference data.
   */
  regionOf(field: string, org: Organisation | undefined, claimed: string | undefined): void {
    if (org && claimed && claimed !== org.region)
      this.add(
        field,
        'region.mismatch',
        `${field} ${claimed} contradicts the ODS reference data: ${org.odsCode} is in ${org.region}`,
      );
  }

  nhsNumber(field: string, value: string | undefined): string | undefined {
    const v = validateNhsNumber(value);
    if (!v.valid) {
      this.add(field, `nhs-number.${v.problem ?? 'invalid'}`, v.message ?? 'invalid NHS number');
      return undefined;
    }
    return v.normalised;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw this.toError(this.list);
  }
}

export function pageSize(
  requested: number | undefined,
  violations: FieldViolations,
  field = 'page_size',
  max = 200,
  fallback = 50,
): number {
  const n = requested ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > max) {
    violations.add(field, 'range', `${field} must be between 0 and ${max}`);
    return fallback;
  }
  return n === 0 ? fallback : n;
}
