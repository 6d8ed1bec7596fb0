import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  AUTH_STATUS_REGISTRY,
  isNationalOperator,
  mayActInRegion,
  type Caller,
  type KnownSystem,
  type SystemStatusRegistry,
} from '@trellis/auth';
import { type FieldViolation, pageCursor } from '@trellis/service-kit';

import { ComplianceService } from '../policy/compliance.service';
import { type StoredCompliance } from '../policy/compliance.repository';
import { ScorecardError, ScorecardErrorCode } from './scorecards.errors';
import { ScorecardsRepository } from './scorecards.repository';
import { periodViolations, totals, type Totals } from './scorecards.service';

const REGION = /^[a-z]{2,20}(?:-[a-z]{2,20}){0,3}$/;
const MAX_IDS = 200;
export interface SystemScorecardsQuery {
  region: string;
  systemIds: readonly string[];
  periodStart: Date | undefined;
  periodEnd: Date | undefined;
  pageSize: number;
  pageToken: string;
}

export interface SystemCard {
  systemId: string;
  region: string;
  productVersionId: string;
  current: Totals;
  /** accepted + refused in the period (0: no rate). */
  judged: number;
  countedUntil: Date | null;
  compliance: StoredCompliance | undefined;
}

/** The page token (libs/service-kit's scheme): the last system id of the page, for one filter. */
const SYSTEM_CURSOR = pageCursor<string>({
  write: (systemId) => ({ after: systemId }),
  read: ({ after }) =>
    typeof after === 'string' && after.length > 0 && after.length <= 128 ? after : undefined,
  refuse: (v) => new ScorecardError(ScorecardErrorCode.InvalidArgument, 'invalid page token', [v]),
  field: 'page_token',
  rule: 'format',
  message: 'a previous next_page_token of the same region and systems',
});

// the period is left out: a default period moves with the clock between two pages
const filterOf = (q: Pick<SystemScorecardsQuery, 'region' | 'systemIds'>) => ({
  region: q.region,
  systemIds: [...q.systemIds].sort(),
});

export const pageTokenAfter = (
  systemId: string,
  q: Pick<SystemScorecardsQuery, 'region' | 'systemIds'>,
): string => SYSTEM_CURSOR.encode(systemId, filterOf(q));

/** Every problem of a listing request at once (pure; the unit spec's subject). */
export function validateListing(q: SystemScorecardsQuery): {
  violations: FieldViolation[];
  after: string | undefined;
} {
  const v: FieldViolation[] = [];
  if (q.region !== '' && !REGION.test(q.region))
    v.push({ field: 'region', rule: 'format', message: 'a region code, e.g. north-east' });
  if (q.systemIds.length > MAX_IDS)
    v.push({ field: 'system_ids', rule: 'max', message: `at most ${MAX_IDS}` });
  if (q.systemIds.some((id) => id.length === 0 || id.length > 128))
    v.push({ field: 'system_ids', rule: 'format', message: 'system ids of 1 to 128 characters' });
  v.push(...periodViolations(q.periodStart, q.periodEnd));
  if (!Number.isInteger(q.pageSize) || q.pageSize < 0 || q.pageSize > 200)
    v.push({ field: 'page_size', rule: 'range', message: '1 to 200' });
  const judged = SYSTEM_CURSOR.check(q.pageToken || undefined, filterOf(q));
  if (!judged.ok) v.push(judged.violation);
  return { violations: v, after: judged.ok ? judged.cursor : undefined };
}

/**
 * Per-system scorecards in pages (issue 20's Systems page): the systems come from the suspension
 * feed (every registered system, with its region and product version), the figures from the
 * counters of the page's systems only, and each system's product version's compliance.
 */
@Injectable()
export class SystemScorecardsService {
  constructor(
    private readonly repo: ScorecardsRepository,
    private readonly compliance: ComplianceService,
    @Optional() @Inject(AUTH_STATUS_REGISTRY) private readonly systems?: SystemStatusRegistry,
  ) {}

  async list(
    q: SystemScorecardsQuery,
    caller: Caller,
  ): Promise<{ cards: SystemCard[]; next: string; total: number }> {
    const { violations, after } = validateListing(q);
    if (violations.length > 0)
      throw new ScorecardError(
        ScorecardErrorCode.InvalidArgument,
        'invalid system scorecards request',
        violations,
      );
    mayList(caller, q.region);
    const wanted = q.systemIds.length > 0 ? new Set(q.systemIds) : undefined;
    const matching = (this.systems?.known(q.region || undefined) ?? []).filter(
      (s) => !wanted || wanted.has(s.systemId),
    );
    const size = q.pageSize || 50;
    const rest = after === undefined ? matching : matching.filter((s) => s.systemId > after);
    const page = rest.slice(0, size);
    const [sums, states] = await Promise.all([
      this.repo.systemTotals(
        page.map((s) => s.systemId),
        q.periodStart!,
        q.periodEnd!,
      ),
      this.compliance.statesOf(
        page.map((s) => s.productVersionId).filter((pv): pv is string => !!pv),
      ),
    ]);
    return {
      cards: page.map((s) => cardOf(s, sums.get(s.systemId), states)),
      next: rest.length > size ? pageTokenAfter(page[page.length - 1]!.systemId, q) : '',
      total: matching.length,
    };
  }
}

/** The operator lists every system (or one region's); an authority only its own region's. */
export function mayList(caller: Caller, region: string): void {
  if (isNationalOperator(caller)) return;
  if (region !== '' && mayActInRegion(caller, region, 'scorecards.read')) return;
  throw new ScorecardError(
    ScorecardErrorCode.NotYours,
    region === ''
      ? 'only the national operator lists every system; a regional authority names its region'
      : `no scorecard reads in region ${region} for this caller`,
  );
}

function cardOf(
  s: KnownSystem,
  sums: { metrics: Parameters<typeof totals>[0]; countedUntil: Date } | undefined,
  states: Map<string, StoredCompliance>,
): SystemCard {
  const current = totals(sums?.metrics ?? []);
  return {
    systemId: s.systemId,
    region: s.region ?? '',
    productVersionId: s.productVersionId ?? '',
    current,
    judged: current.accepted + current.refused,
    countedUntil: sums?.countedUntil ?? null,
    compliance: s.productVersionId ? states.get(s.productVersionId) : undefined,
  };
}
