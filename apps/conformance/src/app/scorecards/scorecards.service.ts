import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  AUTH_STATUS_REGISTRY,
  mayActInRegion,
  TRELLIS_SCOPES,
  type Caller,
  type SystemStatusRegistry,
} from '@trellis/auth';

import { BEHAVIOURS, RETRY_BEFORE_RETRY_AFTER } from '../counting/counters';
import { ScorecardError, ScorecardErrorCode } from './scorecards.errors';
import {
  ScorecardsRepository,
  type KeySum,
  type MetricSum,
  type SubjectFilter,
} from './scorecards.repository';

/** The scorecard definition served today (FHIR Measure id) and the policy version in force. */
export const SCORECARD_DEFINITION_ID = 'trellis-conformance-scorecard';
export const SCORECARD_DEFINITION_VERSION = '1';
export const DEFAULT_POLICY_VERSION = 'conformance-policy-1';

const MAX_PERIOD_MS = 31 * 24 * 3600_000;
const BEHAVIOUR_ORDER = [
  BEHAVIOURS.rateLimited,
  RETRY_BEFORE_RETRY_AFTER,
  BEHAVIOURS.updateWithoutIfMatch,
  BEHAVIOURS.duplicateCreate,
  BEHAVIOURS.callAfterSuspension,
  BEHAVIOURS.writeWhileRestricted,
];

export interface Totals {
  requests: number;
  accepted: number;
  refused: number;
  errors: number;
  violations: number;
  /** accepted / (accepted + refused): server errors are the platform's, not the client's. */
  conformanceRate: number;
}

export interface RuleLine {
  rule: string;
  requests: number;
  issues: number;
  examplePath: string;
  previousRequests: number;
}

export interface ScorecardView {
  subject: SubjectFilter;
  periodStart: Date;
  periodEnd: Date;
  current: Totals;
  previous: Totals;
  rateTrend: number;
  topFailingRules: RuleLine[];
  refusalsByStatus: Array<{ status: string; count: number }>;
  behaviours: Array<{ behaviour: string; count: number; previousCount: number }>;
  systems: string[];
  definitionId: string;
  policyVersion: string;
  countedUntil: Date;
}

export interface ScorecardQuery {
  subject: SubjectFilter;
  periodStart: Date | undefined;
  periodEnd: Date | undefined;
  topRules: number;
}

/** Scorecards from the counters: who may read which, and what a card says. */
@Injectable()
export class ScorecardsService {
  constructor(
    private readonly repo: ScorecardsRepository,
    @Optional() @Inject(AUTH_STATUS_REGISTRY) private readonly systems?: SystemStatusRegistry,
  ) {}

  async scorecard(q: ScorecardQuery, caller: Caller): Promise<ScorecardView> {
    const { start, end, top } = validate(q);
    mayRead(caller, q.subject, (id) => this.systems?.regionOf(id));
    const countedUntil = await this.repo.countedUntil(q.subject);
    if (!countedUntil)
      throw new ScorecardError(
        ScorecardErrorCode.NotFound,
        `no traffic counted for ${q.subject.kind} ${q.subject.id}`,
      );
    const w = { previousStart: new Date(2 * start.getTime() - end.getTime()), start, end };
    const [metrics, rules, statuses, behaviours, systems] = await Promise.all([
      this.repo.metrics(q.subject, w),
      this.repo.rules(q.subject, w),
      this.repo.statuses(q.subject, w),
      this.repo.behaviours(q.subject, w),
      this.repo.systems(q.subject, w),
    ]);
    const current = totals(metrics.filter((m) => m.period === 'current'));
    const previous = totals(metrics.filter((m) => m.period === 'previous'));
    const prevRules = new Map(
      rules.filter((r) => r.period === 'previous').map((r) => [r.rule, r.requests]),
    );
    const topFailingRules = rules
      .filter((r) => r.period === 'current')
      .sort((a, b) => b.requests - a.requests || b.issues - a.issues || cmp(a.rule, b.rule))
      .slice(0, top)
      .map((r) => ({
        rule: r.rule,
        requests: r.requests,
        issues: r.issues,
        examplePath: r.example ?? '',
        previousRequests: prevRules.get(r.rule) ?? 0,
      }));
    return {
      subject: q.subject,
      periodStart: start,
      periodEnd: end,
      current,
      previous,
      rateTrend: round(current.conformanceRate - previous.conformanceRate),
      topFailingRules,
      refusalsByStatus: statuses
        .filter((s) => s.period === 'current')
        .sort((a, b) => b.count - a.count || cmp(a.key, b.key))
        .map((s) => ({ status: s.key, count: s.count })),
      behaviours: behaviourLines(behaviours),
      systems,
      definitionId: SCORECARD_DEFINITION_ID,
      policyVersion: DEFAULT_POLICY_VERSION,
      countedUntil,
    };
  }
}

function validate(q: ScorecardQuery): { start: Date; end: Date; top: number } {
  const v: Array<{ field: string; rule: string; message: string }> = [];
  if (!q.subject.id || q.subject.id.length > 128)
    v.push({ field: 'subject_id', rule: 'required', message: 'a system or product version id' });
  const start = q.periodStart;
  const end = q.periodEnd;
  v.push(...periodViolations(start, end));
  if (q.topRules < 0 || q.topRules > 50)
    v.push({ field: 'top_rules', rule: 'range', message: 'between 0 and 50' });
  if (v.length > 0 || !start || !end)
    throw new ScorecardError(ScorecardErrorCode.InvalidArgument, 'invalid scorecard request', v);
  return { start, end, top: q.topRules || 10 };
}

/** What is wrong with a card's period: both ends, in order, at most 31 days apart. */
export function periodViolations(
  start: Date | undefined,
  end: Date | undefined,
): Array<{ field: string; rule: string; message: string }> {
  const v: Array<{ field: string; rule: string; message: string }> = [];
  if (!start || Number.isNaN(start.getTime()))
    v.push({ field: 'period_start', rule: 'required', message: 'is required' });
  if (!end || Number.isNaN(end.getTime()))
    v.push({ field: 'period_end', rule: 'required', message: 'is required' });
  if (start && end && !(start < end))
    v.push({ field: 'period_end', rule: 'after-start', message: 'must be after period_start' });
  if (start && end && end.getTime() - start.getTime() > MAX_PERIOD_MS)
    v.push({ field: 'period_end', rule: 'max-period', message: 'at most 31 days after the start' });
  return v;
}

/** The national operator reads every card; a connected system its own and its product version's. */
export function mayRead(
  caller: Caller,
  subject: SubjectFilter,
  regionOf: (systemId: string) => string | undefined = () => undefined,
): void {
  if (caller.scopes.includes(TRELLIS_SCOPES.admin)) return;
  const own =
    subject.kind === 'system'
      ? subject.id === caller.systemId
      : !!caller.productVersionId && subject.id === caller.productVersionId;
  if (own) return;
  // issue 18: a regional authority reads the cards of its region's systems (the region of the
  // system's organisation, from the suspension feed)
  const region = subject.kind === 'system' ? regionOf(subject.id) : undefined;
  if (region && mayActInRegion(caller, region, 'scorecards.read')) return;
  throw new ScorecardError(
    ScorecardErrorCode.NotYours,
    'a system reads only its own scorecard and its product version’s; a regional authority those of its region’s systems',
  );
}

export function totals(rows: readonly MetricSum[]): Totals {
  const n = (metric: string): number =>
    rows.filter((r) => r.metric === metric).reduce((s, r) => s + r.count, 0);
  const accepted = n('accepted');
  const refused = n('refused');
  const judged = accepted + refused;
  return {
    requests: n('request'),
    accepted,
    refused,
    errors: n('error'),
    violations: n('violation'),
    conformanceRate: judged === 0 ? 1 : round(accepted / judged),
  };
}

function behaviourLines(
  rows: readonly KeySum[],
): Array<{ behaviour: string; count: number; previousCount: number }> {
  const of = (period: 'current' | 'previous', key: string): number =>
    rows.filter((r) => r.period === period && r.key === key).reduce((s, r) => s + r.count, 0);
  return BEHAVIOUR_ORDER.map((b) => ({
    behaviour: b,
    count: of('current', b),
    previousCount: of('previous', b),
  }));
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
