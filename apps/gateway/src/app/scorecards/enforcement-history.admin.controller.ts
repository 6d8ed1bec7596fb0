import { Controller, Get, Inject, Optional, Param, Query, Req } from '@nestjs/common';
import { mayActInRegion, requireCaller, type ScopeRule } from '@trellis/auth';
import { fromTimestamp, toTimestamp } from '@trellis/contracts';
import { DomainError, isRegion } from '@trellis/service-kit';
import type { Request } from 'express';

import { complianceChangeJson } from './compliance-changes.admin.controller';
import {
  complianceCursor,
  mergeHistory,
  parseHistoryQuery,
  type HistoryEntryJson,
  type HistoryPage,
} from './enforcement-history';
import { EnforcementHistoryRepository, KEY_PREFIX } from './enforcement-history.repository';
import {
  conformanceRefusal,
  SCORECARDS_CLIENT,
  ScorecardCallError,
  type ScorecardsClient,
} from './scorecards.client';
import { callContext } from './system-scorecards.admin.controller';

const ROUTE = 'GET /admin/v1/regions/:region/enforcement-history';

/** A region's systems' reader (the handler binds the region: mayActInRegion). */
export const ENFORCEMENT_HISTORY_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  [ROUTE]: { scope: 'region/*/systems.read' },
};

/**
 * A region's enforcement and lifecycle history (issue 20), newest first, one cursor over three
 * logs: the compliance changes of every product version the region's systems deploy (the
 * conformance service, with the caller's token), the registry's suspensions, reinstatements and
 * write withdrawals of the region's systems, and their lifecycle transitions.
 */
@Controller('admin/v1/regions')
export class EnforcementHistoryAdminController {
  constructor(
    private readonly repo: EnforcementHistoryRepository,
    @Optional() @Inject(SCORECARDS_CLIENT) private readonly client: ScorecardsClient | null,
  ) {}

  @Get(':region/enforcement-history')
  async history(
    @Param('region') region: string,
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
  ): Promise<HistoryPage> {
    if (!isRegion(region))
      throw new DomainError('gateway', 'INVALID_QUERY', 'INVALID_ARGUMENT', 'invalid region', [
        { field: 'region', rule: 'region', message: 'a region code such as north-east' },
      ]);
    const { size, cursor } = parseHistoryQuery(query, region);
    const caller = requireCaller(req);
    if (!mayActInRegion(caller, region, 'systems.read'))
      throw new DomainError(
        'gateway',
        'REGION_NOT_YOURS',
        'PERMISSION_DENIED',
        `${caller.systemId} may not read the systems of ${region}`,
      );
    const withCompliance = !!this.client && mayActInRegion(caller, region, 'scorecards.read');
    const [changes, transitions, compliance] = await Promise.all([
      this.repo.systemChanges(region, cursor, size + 1),
      this.repo.transitions(region, cursor, size + 1),
      withCompliance ? this.compliance(region, cursor, size + 1, req) : [],
    ]);
    const merged = mergeHistory(
      [
        compliance,
        changes.map((c): HistoryEntryJson => ({
          id: c.key,
          at: c.at.toISOString(),
          kind: 'registry',
          event: c.change,
          systemIds: [c.systemId],
          systemName: c.systemName,
          productVersionId: '',
          from: '',
          to: '',
          actor: c.actor,
          reason: c.reason ?? '',
          nationalOverride: false,
        })),
        transitions.map((t): HistoryEntryJson => ({
          id: t.key,
          at: t.at.toISOString(),
          kind: 'lifecycle',
          event: t.to,
          systemIds: [t.systemId],
          systemName: t.systemName,
          productVersionId: '',
          from: t.from ?? '',
          to: t.to,
          actor: t.actor,
          reason: t.reason,
          nationalOverride: t.nationalOverride,
        })),
      ],
      size,
      region,
    );
    return { region, ...merged, complianceIncluded: withCompliance };
  }

  private async compliance(
    region: string,
    cursor: Parameters<typeof complianceCursor>[0],
    limit: number,
    req: Request,
  ): Promise<HistoryEntryJson[]> {
    const { before, beforeKey } = complianceCursor(cursor);
    try {
      const r = await this.client!.listRegionComplianceChanges(
        { region, pageSize: limit, before: before ? toTimestamp(before) : undefined, beforeKey },
        callContext(req),
      );
      return r.changes.map((c) => {
        const change = c.change ? complianceChangeJson(c.change) : undefined;
        return {
          id: `${KEY_PREFIX.compliance}${c.key}`,
          at: c.change?.at ? fromTimestamp(c.change.at).toISOString() : '',
          kind: 'compliance',
          event: change?.cause ?? '',
          systemIds: c.systemIds,
          systemName: '',
          productVersionId: c.productVersionId,
          from: change?.from ?? '',
          to: change?.to ?? '',
          actor: change?.actor ?? '',
          reason: change?.reason ?? '',
          nationalOverride: false,
        };
      });
    } catch (err) {
      if (!(err instanceof ScorecardCallError)) throw err;
      throw conformanceRefusal(err);
    }
  }
}
