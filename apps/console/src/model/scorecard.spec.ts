// The console reads what the gateway's renderer writes: cards made by scorecardToMeasureReport.
import { conformance } from '@trellis/contracts';

// contract test: the console's reader against the gateway's own renderer and sample card (test
// code only)
// eslint-disable-next-line @nx/enforce-module-boundaries
import { scorecardToMeasureReport } from '../../../gateway/src/app/scorecards/measure-report';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { at as ts, sampleScorecard } from '../../../gateway/test/support/scorecard-fixtures';
import { bucketsOf, scorecardOf, type MeasureReport } from './scorecard';

function report(over: Partial<conformance.v1.Scorecard> = {}): MeasureReport {
  const card = sampleScorecard({
    refusalsByStatus: [{ status: 'http 422', count: 30 }],
    behaviours: [{ behaviour: 'rate-limited', count: 4, previousCount: 1 }],
    compliance: conformance.v1.Compliance.fromPartial({
      productVersionId: 'bad-gp@2.0',
      state: conformance.v1.ComplianceState.COMPLIANCE_STATE_ENFORCED,
      policyVersion: 'conformance-policy-1',
      warnedAt: ts('2026-12-05T10:00:00Z'),
      enforcedAt: ts('2026-12-05T11:00:00Z'),
    }),
    ...over,
  });
  return scorecardToMeasureReport(
    card,
    'https://trellis.example',
    new Date(),
  ) as unknown as MeasureReport;
}

describe('scorecards as the console reads them', () => {
  it('reads rate, previous rate, rules with examples, behaviours, refusals and compliance', () => {
    const sc = scorecardOf(report());
    expect(sc).toMatchObject({
      requests: 120,
      judged: 118,
      accepted: 80,
      previousRate: 0.9,
      compliance: 'enforced',
      policyVersion: 'conformance-policy-1',
      warnedAt: '2026-12-05T10:00:00.000Z',
      enforcedAt: '2026-12-05T11:00:00.000Z',
    });
    expect(sc.rate).toBeCloseTo(80 / 118);
    expect(sc.rules).toEqual([
      {
        rule: 'nhs-number.check-digit',
        requests: 20,
        issues: 24,
        previous: 3,
        severity: 'error',
        example: "Patient.identifier.where(value='…')",
      },
    ]);
    expect(sc.behaviours).toEqual([{ name: 'rate-limited', count: 4, previous: 1 }]);
    expect(sc.refusals).toEqual([{ name: 'http 422', count: 30 }]);
    expect(sc.overrideUntil).toBeUndefined();
  });

  it('a period with nothing judged has no rate (not 100 %); a system card has no compliance', () => {
    const sc = scorecardOf(
      report({
        subjectKind: conformance.v1.SubjectKind.SUBJECT_KIND_SYSTEM,
        current: conformance.v1.Totals.fromPartial({ requests: 3, conformanceRate: 1 }),
        previous: undefined,
        compliance: undefined,
      }),
    );
    expect(sc.rate).toBeUndefined();
    expect(sc.previousRate).toBeUndefined();
    expect(sc.compliance).toBeUndefined();
    expect(sc.policyVersion).toBe('conformance-policy-1');
  });

  it('an operator override is read with its reason and author', () => {
    const sc = scorecardOf(
      report({
        compliance: conformance.v1.Compliance.fromPartial({
          productVersionId: 'bad-gp@2.0',
          state: conformance.v1.ComplianceState.COMPLIANCE_STATE_COMPLIANT,
          policyVersion: 'conformance-policy-1',
          overrideUntil: ts('2026-12-07T00:00:00Z'),
          overrideReason: 'fix deployed',
          overrideBy: 'operator-1',
        }),
      }),
    );
    expect(sc).toMatchObject({
      compliance: 'compliant',
      overrideUntil: '2026-12-07T00:00:00.000Z',
      overrideReason: 'fix deployed',
      overrideBy: 'operator-1',
    });
  });

  it('charts a range in contiguous buckets ending at the next full hour', () => {
    const b = bucketsOf('24h', new Date('2026-12-06T10:20:00Z'));
    expect(b).toHaveLength(12);
    expect(b[11]!.end.toISOString()).toBe('2026-12-06T11:00:00.000Z');
    expect(b[0]!.start.toISOString()).toBe('2026-12-05T11:00:00.000Z');
    for (let i = 1; i < b.length; i++) expect(b[i]!.start).toEqual(b[i - 1]!.end);
    expect(bucketsOf('30d', new Date())).toHaveLength(30);
  });
});
