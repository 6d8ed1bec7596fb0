import { type Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { conformance, fromTimestamp, toTimestamp } from '@trellis/contracts';

import { type SubjectFilter } from './scorecards.repository';
import { ScorecardError, ScorecardErrorCode } from './scorecards.errors';
import { ScorecardsService, type ScorecardView, type Totals } from './scorecards.service';

const { SubjectKind, ScorecardServiceControllerMethods } = conformance.v1;

function subjectOf(req: conformance.v1.GetScorecardRequest): SubjectFilter {
  const id = req.subjectId ?? '';
  if (req.subjectKind === SubjectKind.SUBJECT_KIND_SYSTEM) return { kind: 'system', id };
  if (req.subjectKind === SubjectKind.SUBJECT_KIND_PRODUCT_VERSION)
    return { kind: 'product-version', id };
  throw new ScorecardError(ScorecardErrorCode.InvalidArgument, 'invalid scorecard request', [
    { field: 'subject_kind', rule: 'required', message: 'SYSTEM or PRODUCT_VERSION' },
  ]);
}

function totalsToProto(t: Totals): conformance.v1.Totals {
  return {
    requests: t.requests,
    accepted: t.accepted,
    refused: t.refused,
    conformanceRate: t.conformanceRate,
    violations: t.violations,
  };
}

export function scorecardToProto(v: ScorecardView): conformance.v1.Scorecard {
  return {
    subjectKind:
      v.subject.kind === 'system'
        ? SubjectKind.SUBJECT_KIND_SYSTEM
        : SubjectKind.SUBJECT_KIND_PRODUCT_VERSION,
    subjectId: v.subject.id,
    periodStart: toTimestamp(v.periodStart),
    periodEnd: toTimestamp(v.periodEnd),
    current: totalsToProto(v.current),
    previous: totalsToProto(v.previous),
    rateTrend: v.rateTrend,
    topFailingRules: v.topFailingRules.map((r) => ({
      rule: r.rule,
      requests: r.requests,
      issues: r.issues,
      examplePath: r.examplePath,
      severity: 'error',
      previousRequests: r.previousRequests,
    })),
    refusalsByStatus: v.refusalsByStatus,
    behaviours: v.behaviours,
    systems: v.systems,
    definitionId: v.definitionId,
    policyVersion: v.policyVersion,
    countedUntil: toTimestamp(v.countedUntil),
  };
}

@Controller()
@ScorecardServiceControllerMethods()
export class ScorecardsGrpcController implements conformance.v1.ScorecardServiceController {
  constructor(private readonly scorecards: ScorecardsService) {}

  async getScorecard(
    req: conformance.v1.GetScorecardRequest,
    metadata?: Metadata,
  ): Promise<conformance.v1.GetScorecardResponse> {
    const view = await this.scorecards.scorecard(
      {
        subject: subjectOf(req),
        periodStart: req.periodStart ? fromTimestamp(req.periodStart) : undefined,
        periodEnd: req.periodEnd ? fromTimestamp(req.periodEnd) : undefined,
        topRules: req.topRules ?? 0,
      },
      requireCaller(metadata),
    );
    return { scorecard: scorecardToProto(view) };
  }
}
