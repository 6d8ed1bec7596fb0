import { conformance } from '@trellis/contracts';

import { DEFAULT_POLICY, severityOf } from '../policy/policy';
import { scorecardToProto } from './scorecards.grpc.controller';
import { type ScorecardView } from './scorecards.service';

const totals = {
  requests: 10,
  accepted: 8,
  refused: 2,
  errors: 0,
  violations: 2,
  conformanceRate: 0.8,
};
const view: ScorecardView = {
  subject: { kind: 'product-version', id: 'acme@1' },
  periodStart: new Date('2026-12-06T00:00:00Z'),
  periodEnd: new Date('2026-12-07T00:00:00Z'),
  current: totals,
  previous: totals,
  rateTrend: 0,
  topFailingRules: [
    {
      rule: 'nhs-number.check-digit',
      requests: 1,
      issues: 1,
      examplePath: 'Patient.identifier[0]',
      previousRequests: 0,
    },
    {
      rule: 'fhir.unknown-element',
      requests: 1,
      issues: 3,
      examplePath: 'Patient.colour',
      previousRequests: 2,
    },
  ],
  refusalsByStatus: [{ status: 'http 422', count: 2 }],
  behaviours: [],
  systems: ['sys-a'],
  definitionId: 'trellis-conformance-scorecard',
  policyVersion: 'conformance-policy-1',
  countedUntil: new Date('2026-12-06T12:00:00Z'),
};

describe('scorecard over gRPC', () => {
  it('names each failing rule’s severity from the declared policy and the compliance state', () => {
    const card = scorecardToProto(
      view,
      {
        productVersionId: 'acme@1',
        state: 'warned',
        severity: 'error',
        rate: 0.2,
        warnedAt: new Date('2026-12-06T11:00:00Z'),
        enforcedAt: null,
        overrideUntil: null,
        overrideReason: null,
        overrideBy: null,
        policyVersion: 'conformance-policy-1',
        version: 1,
        changedAt: new Date('2026-12-06T11:00:00Z'),
      },
      (rule) => severityOf(DEFAULT_POLICY, rule),
    );
    expect(card.topFailingRules.map((r) => [r.rule, r.severity])).toEqual([
      ['nhs-number.check-digit', 'error'],
      ['fhir.unknown-element', 'warning'],
    ]);
    expect(card.subjectKind).toBe(conformance.v1.SubjectKind.SUBJECT_KIND_PRODUCT_VERSION);
    expect(card.compliance).toMatchObject({
      state: conformance.v1.ComplianceState.COMPLIANCE_STATE_WARNED,
      rate: 0.2,
      version: 1,
    });
  });
});
