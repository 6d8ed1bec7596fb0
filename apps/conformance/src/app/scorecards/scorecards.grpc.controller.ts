import { grpcController } from '@trellis/service-kit';
import { requireCaller } from '@trellis/auth';
import { conformance, fieldsOf, fromTimestamp, toTimestamp } from '@trellis/contracts';

import { ComplianceService } from '../policy/compliance.service';
import { type StoredChange, type StoredCompliance } from '../policy/compliance.repository';
import { RegionChangesService } from '../policy/region-changes.service';
import { severityOf } from '../policy/policy';
import { type SubjectFilter } from './scorecards.repository';
import { ScorecardError, ScorecardErrorCode } from './scorecards.errors';
import { ScorecardsService, type ScorecardView, type Totals } from './scorecards.service';
import { SystemScorecardsService } from './system-scorecards.service';

const { SubjectKind } = conformance.v1;

function subjectOf(req: conformance.v1.GetScorecardRequest): SubjectFilter {
  const id = req.subjectId ?? '';
  if (req.subjectKind === SubjectKind.SUBJECT_KIND_SYSTEM) return { kind: 'system', id };
  if (req.subjectKind === SubjectKind.SUBJECT_KIND_PRODUCT_VERSION)
    return { kind: 'product-version', id };
  throw new ScorecardError(ScorecardErrorCode.InvalidArgument, 'invalid scorecard request', [
    { field: 'subject_kind', rule: 'required', message: 'SYSTEM or PRODUCT_VERSION' },
  ]);
}

/** The totals the message carries (not the server errors, which are the platform's). */
function totalsToProto(t: Totals): conformance.v1.Totals {
  return fieldsOf(t, 'requests', 'accepted', 'refused', 'conformanceRate', 'violations');
}

const STATE: Record<StoredCompliance['state'], conformance.v1.ComplianceState> = {
  compliant: conformance.v1.ComplianceState.COMPLIANCE_STATE_COMPLIANT,
  warned: conformance.v1.ComplianceState.COMPLIANCE_STATE_WARNED,
  enforced: conformance.v1.ComplianceState.COMPLIANCE_STATE_ENFORCED,
};

const ts = (d: Date | null) => (d ? toTimestamp(d) : undefined);

function changeToProto(c: StoredChange): conformance.v1.ComplianceChange {
  return {
    version: c.version,
    fromState: STATE[c.fromState],
    toState: STATE[c.toState],
    cause: c.cause,
    actor: c.actor,
    reason: c.reason ?? '',
    at: toTimestamp(c.at),
  };
}

export function complianceToProto(c: StoredCompliance): conformance.v1.Compliance {
  return {
    productVersionId: c.productVersionId,
    state: STATE[c.state],
    policyVersion: c.policyVersion,
    severity: c.severity ?? '',
    rate: c.rate ?? 0,
    warnedAt: ts(c.warnedAt),
    enforcedAt: ts(c.enforcedAt),
    overrideUntil: ts(c.overrideUntil),
    overrideReason: c.overrideReason ?? '',
    overrideBy: c.overrideBy ?? '',
    version: c.version,
    changedAt: ts(c.changedAt),
  };
}

export function scorecardToProto(
  v: ScorecardView,
  compliance?: StoredCompliance,
  severityOf: (rule: string) => string = () => 'error',
): conformance.v1.Scorecard {
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
      severity: severityOf(r.rule),
      previousRequests: r.previousRequests,
    })),
    refusalsByStatus: v.refusalsByStatus,
    behaviours: v.behaviours,
    systems: v.systems,
    definitionId: v.definitionId,
    policyVersion: v.policyVersion,
    countedUntil: toTimestamp(v.countedUntil),
    compliance: compliance ? complianceToProto(compliance) : undefined,
  };
}

export const ScorecardsGrpcController = grpcController(
  conformance.v1.ScorecardServiceDefinition,
  [ScorecardsService, ComplianceService, SystemScorecardsService, RegionChangesService],
  (
    scorecards: ScorecardsService,
    compliance: ComplianceService,
    systemCards: SystemScorecardsService,
    regionChanges: RegionChangesService,
  ) => ({
    getScorecard: async (req, metadata) => {
      const view = await scorecards.scorecard(
        {
          subject: subjectOf(req),
          periodStart: req.periodStart ? fromTimestamp(req.periodStart) : undefined,
          periodEnd: req.periodEnd ? fromTimestamp(req.periodEnd) : undefined,
          topRules: req.topRules ?? 0,
        },
        requireCaller(metadata),
      );
      const state =
        view.subject.kind === 'product-version'
          ? await compliance.stateOf(view.subject.id)
          : undefined;
      return {
        scorecard: scorecardToProto(
          { ...view, policyVersion: compliance.policy.version },
          state,
          (rule) => severityOf(compliance.policy, rule),
        ),
      };
    },
    overrideCompliance: async (req, metadata) => {
      const c = await compliance.override(
        req.productVersionId ?? '',
        req.reason ?? '',
        req.hours ?? 0,
        requireCaller(metadata),
      );
      return { compliance: complianceToProto(c) };
    },
    getCompliance: async (req, metadata) => {
      const c = await compliance.get(req.productVersionId ?? '', requireCaller(metadata));
      return { compliance: complianceToProto(c) };
    },
    listComplianceChanges: async (req, metadata) => {
      const r = await compliance.changes(
        req.productVersionId ?? '',
        requireCaller(metadata),
        req.pageSize ?? 0,
        req.pageToken ?? '',
      );
      return { changes: r.changes.map(changeToProto), nextPageToken: r.next };
    },
    listSystemScorecards: async (req, metadata) => {
      const r = await systemCards.list(
        {
          region: req.region ?? '',
          systemIds: req.systemIds ?? [],
          periodStart: req.periodStart ? fromTimestamp(req.periodStart) : undefined,
          periodEnd: req.periodEnd ? fromTimestamp(req.periodEnd) : undefined,
          pageSize: req.pageSize ?? 0,
          pageToken: req.pageToken ?? '',
        },
        requireCaller(metadata),
      );
      return {
        scorecards: r.cards.map((c) => ({
          systemId: c.systemId,
          region: c.region,
          productVersionId: c.productVersionId,
          current: totalsToProto(c.current),
          judged: c.judged,
          countedUntil: ts(c.countedUntil),
          compliance: c.compliance ? complianceToProto(c.compliance) : undefined,
        })),
        nextPageToken: r.next,
        total: r.total,
      };
    },
    listRegionComplianceChanges: async (req, metadata) => {
      const rows = await regionChanges.list(
        {
          region: req.region ?? '',
          pageSize: req.pageSize ?? 0,
          before: req.before ? fromTimestamp(req.before) : undefined,
          beforeKey: req.beforeKey ?? '',
        },
        requireCaller(metadata),
      );
      return {
        changes: rows.map((c) => ({
          productVersionId: c.productVersionId,
          change: changeToProto(c),
          key: c.key,
          systemIds: c.systemIds,
        })),
      };
    },
  }),
);
