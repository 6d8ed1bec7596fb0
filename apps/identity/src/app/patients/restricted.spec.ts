import { thrownBy } from '@trellis/testing';
import type { PatientRecord } from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import { assertRestrictedChangeAllowed, visibleMatchReasons } from './restricted';

const record = (confidentiality: PatientRecord['confidentiality']): PatientRecord => ({
  nhsNumber: '9990000018',
  names: [{ use: 'usual', family: 'Pascoe', given: ['Tegen'], prefix: [] }],
  gender: 'female',
  birthDate: '1975-05-05',
  addresses: [],
  telecom: [],
  gpHistory: [],
  confidentiality,
  version: 1,
  lastUpdated: new Date('2026-01-01T00:00:00Z'),
  supersededNhsNumbers: [],
});

const refusal = (fn: () => void): IdentityError => thrownBy(fn, IdentityError);

describe('restricted-record change rules', () => {
  it('refuses lifting a restriction without trellis/restricted.read, naming the field', () => {
    const e = refusal(() =>
      assertRestrictedChangeAllowed(
        record('restricted'),
        { confidentiality: 'normal' },
        ['confidentiality'],
        false,
      ),
    );
    expect(e.code).toBe(IdentityErrorCode.RestrictedScopeRequired);
    expect(e.kind).toBe('PERMISSION_DENIED');
    expect(e.violations).toEqual([
      expect.objectContaining({
        field: 'changes.confidentiality',
        rule: 'restricted.confidentiality',
      }),
    ]);
  });

  it('refuses every withheld field of a record that is or becomes restricted, at once', () => {
    const e = refusal(() =>
      assertRestrictedChangeAllowed(
        record('normal'),
        { confidentiality: 'restricted', addresses: [], telecom: [] },
        ['addresses', 'telecom', 'confidentiality'],
        false,
      ),
    );
    expect(e.violations.map((v) => v.field)).toEqual(['changes.addresses', 'changes.telecom']);
  });

  it('allows restricting, other fields of a restricted record, and anything to a restricted reader', () => {
    const allowed: Array<Parameters<typeof assertRestrictedChangeAllowed>> = [
      [record('normal'), { confidentiality: 'restricted' }, ['confidentiality'], false],
      [record('restricted'), { gender: 'other' }, ['gender'], false],
      [record('restricted'), { confidentiality: 'normal' }, ['confidentiality'], true],
      [record('normal'), { addresses: [] }, ['addresses'], false],
    ];
    for (const args of allowed) expect(() => assertRestrictedChangeAllowed(...args)).not.toThrow();
  });

  it('drops the postcode and practice match reasons of a withheld record only', () => {
    const reasons = ['family:exact', 'postcode:exact', 'gp:exact', 'birth_date:exact'];
    expect(visibleMatchReasons(reasons, true)).toEqual(['family:exact', 'birth_date:exact']);
    expect(visibleMatchReasons(reasons, false)).toEqual(reasons);
  });
});
