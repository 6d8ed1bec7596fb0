import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';

import {
  listArgs,
  reasonOf,
  toSummary,
  type SystemPage,
  type SystemSummary,
} from '../systems/systems.admin.controller';
import { RegionalService } from './regional.service';
import { RegionStreamHealthService, type RegionStreamHealth } from './stream-health';

export interface RegionalActSummary extends SystemSummary {
  nationalOverride: boolean;
}

/**
 * The regional authority's JSON door (the console's /admin/v1/regions/{region}/…): the same
 * RegionalService as the gRPC RegionalAuthorityService, so both doors refuse and record alike.
 */
@Controller('admin/v1/regions')
export class RegionalAdminController {
  constructor(
    private readonly regional: RegionalService,
    private readonly streams: RegionStreamHealthService,
  ) {}

  @Get(':region/stream-health')
  async streamHealth(
    @Param('region') region: string,
    @Req() req: object,
  ): Promise<Omit<RegionStreamHealth, 'asOf'> & { asOf: string }> {
    this.regional.authorise(requireCaller(req), region, 'systems.read');
    const h = await this.streams.health(region);
    return { ...h, asOf: h.asOf.toISOString() };
  }

  @Get(':region/systems')
  async list(
    @Param('region') region: string,
    @Query() q: Record<string, unknown>,
    @Req() req: object,
  ): Promise<SystemPage> {
    const caller = requireCaller(req);
    const a = listArgs(q);
    const page = await this.regional.list(caller, region, a.pageSize, a.pageToken, a.status);
    return { systems: page.rows.map(toSummary), nextPageToken: page.next, total: page.total };
  }

  @Post(':region/systems/:id/suspend')
  @HttpCode(200)
  async suspend(
    @Param('region') region: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<RegionalActSummary> {
    const caller = requireCaller(req);
    const r = await this.regional.suspend(
      caller,
      region,
      id,
      reasonOf(body, true),
      'POST /admin/v1/regions/:region/systems/:id/suspend',
    );
    return { ...toSummary(r.system), nationalOverride: r.nationalOverride };
  }

  @Post(':region/systems/:id/reinstate')
  @HttpCode(200)
  async reinstate(
    @Param('region') region: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<RegionalActSummary> {
    const caller = requireCaller(req);
    const r = await this.regional.reinstate(
      caller,
      region,
      id,
      reasonOf(body, true),
      'POST /admin/v1/regions/:region/systems/:id/reinstate',
    );
    return { ...toSummary(r.system), nationalOverride: r.nationalOverride };
  }
}
