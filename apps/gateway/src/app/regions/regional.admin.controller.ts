import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';

import {
  listArgs,
  reasonOf,
  toListedSummary,
  toSummary,
  type SystemPage,
  type SystemSummary,
} from '../systems/systems.admin.controller';
import { type TransitionRow, LifecycleService } from './lifecycle.service';
import { RegionalService } from './regional.service';
import { RegionRequirementsService, type RegionRequirementsView } from './requirements.service';
import { RegionStreamHealthService, type RegionStreamHealth } from './stream-health';

export interface RegionalActSummary extends SystemSummary {
  nationalOverride: boolean;
}

export interface TransitionJson {
  from: string | null;
  to: string;
  actor: string;
  reason: string;
  nationalOverride: boolean;
  at: string;
}

export interface RequirementsJson {
  region: string;
  extraCertificateRoles: string[];
  maxViolationRate: number | null;
  reason: string;
  changedBy: string;
  changedAt: string | null;
  version: number;
}

const transitionJson = (t: TransitionRow): TransitionJson => ({
  from: t.fromState,
  to: t.toState,
  actor: t.actor,
  reason: t.reason,
  nationalOverride: t.nationalOverride,
  at: t.at.toISOString(),
});

const requirementsJson = (r: RegionRequirementsView): RequirementsJson => ({
  ...r,
  extraCertificateRoles: [...r.extraCertificateRoles],
  changedAt: r.changedAt?.toISOString() ?? null,
});

const field = (body: unknown, name: string): unknown =>
  typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;

const authorizationOf = (req: object): string | undefined => {
  const h = (req as { headers?: Record<string, unknown> }).headers?.['authorization'];
  return typeof h === 'string' ? h : undefined;
};

/**
 * The regional authority's JSON door (the console's /admin/v1/regions/{region}/…): the same
 * RegionalService as the gRPC RegionalAuthorityService, so both doors refuse and record alike.
 */
@Controller('admin/v1/regions')
export class RegionalAdminController {
  constructor(
    private readonly regional: RegionalService,
    private readonly streams: RegionStreamHealthService,
    private readonly lifecycle: LifecycleService,
    private readonly requirements: RegionRequirementsService,
  ) {}

  @Post(':region/systems/:id/lifecycle')
  @HttpCode(200)
  async transition(
    @Param('region') region: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<{ system: SystemSummary; nationalOverride: boolean; transition: TransitionJson }> {
    const to = field(body, 'to');
    const r = await this.lifecycle.transition(
      requireCaller(req),
      region,
      id,
      typeof to === 'string' ? to : '',
      reasonOf(body, true),
      'POST /admin/v1/regions/:region/systems/:id/lifecycle',
      authorizationOf(req),
    );
    return {
      system: toSummary(r.system),
      nationalOverride: r.nationalOverride,
      transition: transitionJson(r.transition),
    };
  }

  @Get(':region/systems/:id/lifecycle')
  async history(
    @Param('region') region: string,
    @Param('id') id: string,
    @Req() req: object,
  ): Promise<{ state: string; transitions: TransitionJson[] }> {
    const h = await this.lifecycle.history(requireCaller(req), region, id);
    return { state: h.state, transitions: h.transitions.map(transitionJson) };
  }

  @Get(':region/requirements')
  async getRequirements(
    @Param('region') region: string,
    @Req() req: object,
  ): Promise<RequirementsJson> {
    return requirementsJson(await this.requirements.get(requireCaller(req), region));
  }

  @Post(':region/requirements')
  @HttpCode(200)
  async setRequirements(
    @Param('region') region: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<RequirementsJson> {
    const roles = field(body, 'extraCertificateRoles') ?? [];
    const rate = field(body, 'maxViolationRate') ?? null;
    const reason = field(body, 'reason');
    return requirementsJson(
      await this.requirements.set(
        requireCaller(req),
        region,
        {
          extraCertificateRoles: Array.isArray(roles) ? roles.map(String) : [String(roles)],
          maxViolationRate: rate === null ? null : typeof rate === 'number' ? rate : Number.NaN,
          reason: typeof reason === 'string' ? reason : '',
        },
        'POST /admin/v1/regions/:region/requirements',
      ),
    );
  }

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
    return {
      systems: page.rows.map(toListedSummary),
      nextPageToken: page.next,
      total: page.total,
    };
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
