import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import type { SystemPageJson, SystemSummaryJson } from '@trellis/contracts';

import { isGovernanceOrganisation } from '../regions/lifecycle';
import { SystemsError, SystemsErrorCode } from './systems.errors';
import { type ListedSystem, type SystemRow } from './systems.repository';
import { SystemsService } from './systems.service';

/** A connected system as the console shows it: no keys, no scopes beyond their names. */
export type SystemSummary = SystemSummaryJson;
export type SystemPage = SystemPageJson;

export function toSummary(row: SystemRow): SystemSummary {
  return {
    id: row.id,
    name: row.name,
    supplier: row.supplier,
    odsCode: row.odsCode,
    region: row.region,
    status: row.status,
    suspensionReason: row.suspensionReason ?? '',
    productVersionId: row.productVersionId,
    writesRestricted: row.writesRestricted,
    lifecycle: row.lifecycle,
    allowedScopes: [...row.allowedScopes],
    version: row.version,
    changedAt: row.changedAt.toISOString(),
    changedBy: row.changedBy,
  };
}

/** A listing's row: the summary with its product's role (`other` has no conformance scheme). */
export function toListedSummary(row: ListedSystem): SystemSummary {
  return {
    ...toSummary(row),
    productRole: row.productVersion.product.role.replace(/_/g, '-'),
    governance: isGovernanceOrganisation(row.odsCode),
  };
}

const invalid = (field: string, message: string): SystemsError =>
  new SystemsError(SystemsErrorCode.InvalidArgument, `invalid ${field}`, [
    { field, rule: 'format', message },
  ]);

function one(v: unknown, field: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw invalid(field, 'given more than once');
  return v;
}

export function listArgs(q: Record<string, unknown>): {
  status: 'active' | 'suspended' | undefined;
  pageSize: number;
  pageToken: string;
} {
  const status = one(q['status'], 'status');
  if (status !== '' && status !== 'active' && status !== 'suspended')
    throw invalid('status', 'active or suspended');
  const size = one(q['pageSize'], 'pageSize');
  if (size !== '' && !/^\d{1,4}$/.test(size)) throw invalid('pageSize', 'a number 1..500');
  for (const k of Object.keys(q))
    if (!['status', 'pageSize', 'pageToken'].includes(k))
      throw invalid(k.slice(0, 64), 'unknown parameter');
  return {
    status: status === '' ? undefined : status,
    pageSize: size === '' ? 0 : Number(size),
    pageToken: one(q['pageToken'], 'pageToken'),
  };
}

export function reasonOf(body: unknown, required: boolean): string {
  const reason =
    typeof body === 'object' && body !== null ? (body as { reason?: unknown }).reason : undefined;
  if (reason === undefined && !required) return '';
  if (typeof reason !== 'string' || reason.trim() === '')
    throw invalid('reason', 'a non-empty string is required');
  return reason.trim();
}

/**
 * The registry's JSON face for the console (docs/security.md §1a): the same SystemsService as the
 * gRPC ConnectedSystemService, behind the same scope table; national routes need trellis/admin
 * (a regional authority's /regions/{region}/… are apps/gateway/src/app/regions).
 * Every change is the service's: change-log row (actor = system + signed-in user) + event.
 */
@Controller('admin/v1')
export class SystemsAdminController {
  constructor(private readonly systems: SystemsService) {}

  @Get('systems')
  async list(@Query() q: Record<string, unknown>): Promise<SystemPage> {
    const a = listArgs(q);
    const { rows, next, total } = await this.systems.list(a.pageSize, a.pageToken, a.status);
    return { systems: rows.map(toListedSummary), nextPageToken: next, total };
  }

  @Post('systems/:id/suspend')
  @HttpCode(200)
  async suspend(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<SystemSummary> {
    return toSummary(await this.systems.suspend(id, reasonOf(body, true), requireCaller(req)));
  }

  @Post('systems/:id/reinstate')
  @HttpCode(200)
  async reinstate(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<SystemSummary> {
    return toSummary(await this.systems.reactivate(id, requireCaller(req), reasonOf(body, true)));
  }
}
