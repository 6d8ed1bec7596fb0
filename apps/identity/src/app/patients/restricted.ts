import type { PatientChanges, PatientRecord } from './patient.model';
import { IdentityError, IdentityErrorCode, type FieldViolation } from './patients.errors';

/** Fields of a restricted record withheld from callers without trellis/restricted.read. */
export const WITHHELD_FIELDS = ['addresses', 'telecom', 'gp'] as const;

const isWithheld = (field: string) => (WITHHELD_FIELDS as readonly string[]).includes(field);

/**
 * The restricted-record rules of a change, whichever door the call came through: a caller without
 * trellis/restricted.read may neither lift the restriction (restricted → normal would hand it the
 * address and phone on the next read) nor change the withheld fields of a record that is, or is
 * becoming, restricted. Restricting a normal record is allowed to anyone who may update it.
 * Every refused field is named; the refusal is PERMISSION_DENIED.
 */
export function assertRestrictedChangeAllowed(
  current: PatientRecord,
  changes: PatientChanges,
  changed: readonly string[],
  mayReadRestricted: boolean,
): void {
  if (mayReadRestricted) return;
  const restrictedNow = current.confidentiality === 'restricted';
  const violations: FieldViolation[] = [];
  if (restrictedNow && changed.includes('confidentiality')) {
    violations.push({
      field: 'changes.confidentiality',
      rule: 'restricted.confidentiality',
      message: 'only a caller with trellis/restricted.read may lift the restriction of a record',
    });
  }
  if (restrictedNow || changes.confidentiality === 'restricted') {
    for (const f of changed.filter(isWithheld)) {
      violations.push({
        field: `changes.${f}`,
        rule: 'restricted',
        message: 'withheld field of a restricted patient',
      });
    }
  }
  if (violations.length === 0) return;
  throw new IdentityError(
    IdentityErrorCode.RestrictedScopeRequired,
    violations.some((v) => v.rule === 'restricted.confidentiality')
      ? 'changing the confidentiality of a restricted patient needs trellis/restricted.read'
      : 'changing address, telecom or GP of a restricted patient needs trellis/restricted.read',
    violations,
  );
}

/**
 * Match reasons a caller may see for a record: for a withheld (restricted) record, whether the
 * postcode or the practice matched would confirm the withheld address or GP, so they are dropped.
 */
export function visibleMatchReasons(matchedOn: readonly string[], withheld: boolean): string[] {
  if (!withheld) return [...matchedOn];
  return matchedOn.filter((m) => !m.startsWith('postcode') && !m.startsWith('gp'));
}
