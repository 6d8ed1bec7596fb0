// One product version's scorecard as the conformance service answers it: the gateway's
// MeasureReport spec renders it, and the console's reader spec reads what that renderer writes.
import { conformance } from '@trellis/contracts';

export const at = (iso: string): { seconds: number; nanos: number } => ({
  seconds: Date.parse(iso) / 1000,
  nanos: 0,
});

/** bad-gp@2.0 over one day: 120 requests, 80 accepted, 38 refused, enforced; `over` replaces fields. */
export function sampleScorecard(
  over: Partial<conformance.v1.Scorecard> = {},
): conformance.v1.Scorecard {
  return conformance.v1.Scorecard.fromPartial({
    subjectKind: conformance.v1.SubjectKind.SUBJECT_KIND_PRODUCT_VERSION,
    subjectId: 'bad-gp@2.0',
    periodStart: at('2026-12-05T00:00:00Z'),
    periodEnd: at('2026-12-06T00:00:00Z'),
    current: {
      requests: 120,
      accepted: 80,
      refused: 38,
      conformanceRate: 0.677966,
      violations: 30,
    },
    previous: { requests: 100, accepted: 90, refused: 10, conformanceRate: 0.9, violations: 8 },
    rateTrend: -0.222034,
    topFailingRules: [
      {
        rule: 'nhs-number.check-digit',
        requests: 20,
        issues: 24,
        examplePath: "Patient.identifier.where(value='…')",
        severity: 'error',
        previousRequests: 3,
      },
    ],
    refusalsByStatus: [
      { status: 'http 422', count: 30 },
      { status: 'http 428', count: 8 },
    ],
    behaviours: [
      { behaviour: 'rate-limited', count: 4, previousCount: 0 },
      { behaviour: 'retry-before-retry-after', count: 3, previousCount: 0 },
    ],
    systems: ['sys-a', 'sys-b'],
    definitionId: 'trellis-conformance-scorecard',
    policyVersion: 'conformance-policy-1',
    compliance: {
      productVersionId: 'bad-gp@2.0',
      state: conformance.v1.ComplianceState.COMPLIANCE_STATE_ENFORCED,
      policyVersion: 'conformance-policy-1',
    },
    ...over,
  });
}
