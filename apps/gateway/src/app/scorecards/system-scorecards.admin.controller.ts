import { Controller, Get, Inject, Optional, Param, Query, Req } from '@nestjs/common';
import { TRELLIS_SCOPES, type ScopeRule } from '@trellis/auth';
import {
  conformance,
  fromTimestamp,
  type SystemScorecardJson,
  toTimestamp,
} from '@trellis/contracts';
import { DomainError } from '@trellis/service-kit';
import type { Request } from 'express';

import { forwardContext } from '../fhir/fhir.http';
import { STATE } from './compliance-changes.admin.controller';
import {
  conformanceRefusal,
  SCORECARDS_CLIENT,
  ScorecardCallError,
  type ScorecardCallContext,
  type ScorecardsClient,
} from './scorecards.client';
import { parseSystemScorecardsQuery } from './system-scorecards.query';

const NATIONAL = 'GET /admin/v1/system-scorecards';
const REGIONAL = 'GET /admin/v1/regions/:region/system-scorecards';

/**
 * Every system's card is the operator's; a region's systems' cards its authority's (the
 * conformance service checks the named region against the caller's token as well).
 */
export const SYSTEM_SCORECARDS_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  [NATIONAL]: { scope: TRELLIS_SCOPES.admin },
  [REGIONAL]: { scope: 'region/*/scorecards.read' },
};

export type { SystemScorecardJson };

export interface SystemScorecardPage {
  periodStart: string;
  periodEnd: string;
  scorecards: SystemScorecardJson[];
  nextPageToken: string;
  total: number;
}

const iso = (
  t: conformance.v1.ListSystemScorecardsResponse['scorecards'][number]['countedUntil'],
) => (t ? fromTimestamp(t).toISOString() : null);

export function systemScorecardJson(c: conformance.v1.SystemScorecard): SystemScorecardJson {
  const t = c.current;
  return {
    systemId: c.systemId,
    region: c.region,
    productVersionId: c.productVersionId,
    requests: t?.requests ?? 0,
    accepted: t?.accepted ?? 0,
    refused: t?.refused ?? 0,
    violations: t?.violations ?? 0,
    judged: c.judged,
    conformanceRate: c.judged > 0 ? (t?.conformanceRate ?? null) : null,
    countedUntil: iso(c.countedUntil),
    compliance: c.compliance
      ? {
          state: STATE[c.compliance.state] ?? 'unknown',
          severity: c.compliance.severity,
          warnedAt: iso(c.compliance.warnedAt),
          enforcedAt: iso(c.compliance.enforcedAt),
          overrideUntil: iso(c.compliance.overrideUntil),
          overrideReason: c.compliance.overrideReason,
        }
      : null,
  };
}

export function callContext(req: Request): ScorecardCallContext {
  const ctx = forwardContext(req);
  return {
    ...(ctx.authorization ? { authorization: ctx.authorization } : {}),
    ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
    ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
  };
}

/**
 * One page of per-system scorecards (the console's Systems page: one call for a table page's
 * rows): the conformance service's ListSystemScorecards with the caller's token, as JSON.
 */
@Controller('admin/v1')
export class SystemScorecardsAdminController {
  constructor(
    @Optional() @Inject(SCORECARDS_CLIENT) private readonly client: ScorecardsClient | null,
  ) {}

  @Get('system-scorecards')
  national(
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
  ): Promise<SystemScorecardPage> {
    return this.list('', query, req);
  }

  @Get('regions/:region/system-scorecards')
  regional(
    @Param('region') region: string,
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
  ): Promise<SystemScorecardPage> {
    return this.list(region, query, req);
  }

  private async list(
    region: string,
    query: Record<string, unknown>,
    req: Request,
  ): Promise<SystemScorecardPage> {
    const args = parseSystemScorecardsQuery(query);
    if (!this.client)
      throw new DomainError('gateway', 'CONFORMANCE_OFF', 'UNAVAILABLE', 'no conformance service');
    try {
      const r = await this.client.listSystemScorecards(
        {
          region,
          systemIds: args.systemIds,
          periodStart: toTimestamp(args.periodStart),
          periodEnd: toTimestamp(args.periodEnd),
          pageSize: args.pageSize,
          pageToken: args.pageToken,
        },
        callContext(req),
      );
      return {
        periodStart: args.periodStart.toISOString(),
        periodEnd: args.periodEnd.toISOString(),
        scorecards: r.scorecards.map(systemScorecardJson),
        nextPageToken: r.nextPageToken,
        total: r.total,
      };
    } catch (err) {
      if (!(err instanceof ScorecardCallError)) throw err;
      throw conformanceRefusal(err);
    }
  }
}
