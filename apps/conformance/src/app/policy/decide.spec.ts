import { decide, type ComplianceRow, type SeverityMeasure } from './decide';
import { DEFAULT_POLICY, loadPolicy, policySchema, severityOf } from './policy';

const NOW = new Date('2026-12-06T12:00:00Z');
const min = (m: number) => new Date(NOW.getTime() - m * 60_000);
const compliant: ComplianceRow = {
  state: 'compliant',
  severity: null,
  warnedAt: null,
  enforcedAt: null,
  overrideUntil: null,
};
const error = (requests: number, breaking: number): { error: SeverityMeasure } => ({
  error: { requests, breaking, topRules: ['nhs-number.check-digit'] },
});

describe('compliance policy decisions', () => {
  it('a conforming or too-quiet product version stays compliant', () => {
    expect(decide(compliant, error(1000, 10), DEFAULT_POLICY, NOW)).toEqual({ kind: 'none' });
    expect(decide(compliant, error(49, 49), DEFAULT_POLICY, NOW)).toEqual({ kind: 'none' });
  });

  it('warns over the warning threshold, naming when enforcement may follow', () => {
    const d = decide(compliant, error(100, 30), DEFAULT_POLICY, NOW);
    expect(d).toMatchObject({
      kind: 'warn',
      finding: { severity: 'error', rate: 0.3, requests: 100, threshold: 0.05, windowMinutes: 60 },
      enforceNotBefore: new Date(NOW.getTime() + 60 * 60_000),
    });
  });

  it('enforces only after the grace period, and not while an override holds', () => {
    const warned: ComplianceRow = {
      ...compliant,
      state: 'warned',
      severity: 'error',
      warnedAt: min(30),
    };
    expect(decide(warned, error(100, 30), DEFAULT_POLICY, NOW)).toEqual({ kind: 'none' });
    const later = { ...warned, warnedAt: min(61) };
    expect(decide(later, error(100, 30), DEFAULT_POLICY, NOW)).toMatchObject({
      kind: 'enforce',
      finding: { threshold: 0.2 },
    });
    expect(decide(later, error(100, 10), DEFAULT_POLICY, NOW)).toEqual({ kind: 'none' });
    const overridden = { ...later, overrideUntil: new Date(NOW.getTime() + 1) };
    expect(decide(overridden, error(100, 30), DEFAULT_POLICY, NOW)).toEqual({ kind: 'none' });
  });

  it('a warning is lifted when the rate falls back under the warning threshold', () => {
    const warned: ComplianceRow = {
      ...compliant,
      state: 'warned',
      severity: 'error',
      warnedAt: min(10),
    };
    expect(decide(warned, error(100, 3), DEFAULT_POLICY, NOW)).toMatchObject({
      kind: 'restore',
      wasEnforced: false,
    });
  });

  it('enforcement ends when the rate recovers, after its minimum duration', () => {
    const enforced: ComplianceRow = {
      ...compliant,
      state: 'enforced',
      severity: 'error',
      warnedAt: min(200),
      enforcedAt: min(30),
    };
    expect(decide(enforced, error(100, 1), DEFAULT_POLICY, NOW)).toEqual({ kind: 'none' });
    const long = { ...enforced, enforcedAt: min(61) };
    expect(decide(long, error(100, 1), DEFAULT_POLICY, NOW)).toMatchObject({
      kind: 'restore',
      wasEnforced: true,
    });
    expect(decide(long, error(100, 5), DEFAULT_POLICY, NOW)).toEqual({ kind: 'none' });
    expect(decide(long, error(10, 0), DEFAULT_POLICY, NOW)).toEqual({ kind: 'none' });
  });

  it('severities: declared per rule, default otherwise; policies are validated', () => {
    expect(severityOf(DEFAULT_POLICY, 'fhir.unknown-element')).toBe('warning');
    expect(severityOf(DEFAULT_POLICY, 'nhs-number.check-digit')).toBe('error');
    expect(loadPolicy(undefined)).toBe(DEFAULT_POLICY);
    const bad = policySchema.safeParse({
      version: 'p2',
      thresholds: {
        error: {
          windowMinutes: 60,
          minRequests: 1,
          warnAbove: 0.5,
          enforceAbove: 0.1,
          graceMinutes: 0,
          recoverAtOrBelow: 0.6,
          minEnforcedMinutes: 0,
        },
      },
    });
    expect(bad.success).toBe(false);
  });
});
