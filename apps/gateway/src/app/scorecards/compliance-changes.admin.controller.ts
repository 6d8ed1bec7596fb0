import { Controller, Get, Inject, Optional, Param, Query, Req } from '@nestjs/common';
import { type ScopeRule } from '@trellis/auth';
import {
  conformance,
  fromTimestamp,
  type ComplianceChangeJson,
  type ComplianceChangePageJson,
} from '@trellis/contracts';
import { DomainError } from '@trellis/service-kit';
import type { Request } from 'express';

import { forwardContext } from '../fhir/fhir.http';
import {
  conformanceRefusal,
  SCORECARDS_CLIENT,
  ScorecardCallError,
  type ScorecardsClient,
} from './scorecards.client';

const ROUTE = 'GET /admin/v1/product-versions/:id/compliance-changes';

/** Same readers as the scorecards: the conformance service decides (operator, or the version's own). */
export const SCORECARDS_SCOPE_RULES: Readonly<Record<string, ScopeRule>> = {
  [ROUTE]: { scope: 'system/MeasureReport.rs' },
};

export const STATE: Readonly<Record<number, string>> = {
  [conformance.v1.ComplianceState.COMPLIANCE_STATE_COMPLIANT]: 'compliant',
  [conformance.v1.ComplianceState.COMPLIANCE_STATE_WARNED]: 'warned',
  [conformance.v1.ComplianceState.COMPLIANCE_STATE_ENFORCED]: 'enforced',
};

export const complianceChangeJson = (c: conformance.v1.ComplianceChange): ComplianceChangeJson => ({
  version: c.version,
  from: STATE[c.fromState] ?? 'unknown',
  to: STATE[c.toState] ?? 'unknown',
  cause: c.cause,
  actor: c.actor,
  reason: c.reason,
  at: c.at ? fromTimestamp(c.at).toISOString() : '',
});

const invalid = (field: string, message: string): DomainError =>
  new DomainError('gateway', 'INVALID_QUERY', 'INVALID_ARGUMENT', `invalid ${field}`, [
    { field, rule: 'format', message },
  ]);

/**
 * A product version's compliance change log (compliant → warned → enforced → compliant, and the
 * operator's overrides), newest first: the conformance service's ListComplianceChanges with the
 * caller's token, as JSON for the console.
 */
@Controller('admin/v1/product-versions')
export class ComplianceChangesAdminController {
  constructor(
    @Optional() @Inject(SCORECARDS_CLIENT) private readonly client: ScorecardsClient | null,
  ) {}

  @Get(':id/compliance-changes')
  async list(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: Request,
  ): Promise<ComplianceChangePageJson> {
    for (const k of Object.keys(query))
      if (k !== 'pageSize' && k !== 'pageToken') throw invalid(k, 'unknown parameter');
    const { pageSize = '', pageToken = '' } = query;
    if (typeof pageSize !== 'string' || (pageSize !== '' && !/^\d{1,3}$/.test(pageSize)))
      throw invalid('pageSize', 'a number from 1 to 200');
    if (typeof pageToken !== 'string') throw invalid('pageToken', 'given more than once');
    if (!this.client)
      throw new DomainError('gateway', 'CONFORMANCE_OFF', 'UNAVAILABLE', 'no conformance service');
    const ctx = forwardContext(req);
    try {
      const r = await this.client.listComplianceChanges(
        { productVersionId: id, pageSize: pageSize ? Number(pageSize) : 0, pageToken },
        {
          ...(ctx.authorization ? { authorization: ctx.authorization } : {}),
          ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
          ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
        },
      );
      return {
        changes: r.changes.map(complianceChangeJson),
        nextPageToken: r.nextPageToken,
      };
    } catch (err) {
      if (!(err instanceof ScorecardCallError)) throw err;
      throw conformanceRefusal(err);
    }
  }
}
