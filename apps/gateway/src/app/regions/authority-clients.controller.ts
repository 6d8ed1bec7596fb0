import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';

import { reasonOf, toSummary, type SystemSummary } from '../systems/systems.admin.controller';
import { AuthorityClientsService, invalid } from './authority-clients';
import { type RegionPrincipal } from './region-principals';

const str = (body: unknown, name: string): string => {
  const v =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (v === undefined) return '';
  if (typeof v !== 'string') throw invalid(name, 'a string');
  return v;
};

export interface AuthorityClientListing {
  clients: (SystemSummary & { principal: string })[];
  /** More clients follow (fetch them with `pageToken=nextPageToken`). */
  truncated: boolean;
  nextPageToken: string;
  managedBy: string;
}

function pageArgs(q: Record<string, unknown>): { pageSize: number; pageToken: string } {
  for (const k of Object.keys(q))
    if (k !== 'pageSize' && k !== 'pageToken') throw invalid(k.slice(0, 64), 'unknown parameter');
  const size = q['pageSize'] ?? '';
  const token = q['pageToken'] ?? '';
  if (typeof size !== 'string' || (size !== '' && !/^\d{1,4}$/.test(size)))
    throw invalid('pageSize', 'a number, once');
  if (typeof token !== 'string') throw invalid('pageToken', 'once');
  return { pageSize: size === '' ? 0 : Number(size), pageToken: token };
}

/**
 * JSON door: GET and POST /admin/v1/regions/:region/authority-clients, …/:id/kafka-credentials,
 * …/:id/revoke — the gRPC door's RegionalAuthorityService twins, on the same service.
 */
@Controller('admin/v1/regions')
export class AuthorityClientsController {
  constructor(private readonly clients: AuthorityClientsService) {}

  @Get(':region/authority-clients')
  async list(
    @Param('region') region: string,
    @Query() q: Record<string, unknown>,
    @Req() req: object,
  ): Promise<AuthorityClientListing> {
    const a = pageArgs(q);
    const page = await this.clients.list(requireCaller(req), region, a.pageSize, a.pageToken);
    return {
      clients: page.clients.map((c) => ({ ...toSummary(c.row), principal: c.principal })),
      truncated: page.next !== '',
      nextPageToken: page.next,
      managedBy: page.managedBy,
    };
  }

  @Post(':region/authority-clients')
  @HttpCode(201)
  async create(
    @Param('region') region: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<{ client: SystemSummary; kafka: RegionPrincipal }> {
    const o = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const scopes = o['scopes'];
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string'))
      throw invalid('scopes', 'an array of scope strings');
    const r = await this.clients.create(
      requireCaller(req),
      region,
      {
        clientId: str(body, 'clientId'),
        name: str(body, 'name'),
        odsCode: str(body, 'odsCode'),
        keys: str(body, 'jwksUrl')
          ? { jwksUrl: str(body, 'jwksUrl') }
          : {
              jwksJson:
                typeof o['jwks'] === 'string' ? o['jwks'] : JSON.stringify(o['jwks'] ?? null),
            },
        scopes,
      },
      'POST /admin/v1/regions/:region/authority-clients',
    );
    return { client: toSummary(r.client), kafka: r.kafka };
  }

  @Post(':region/authority-clients/:id/kafka-credentials')
  @HttpCode(200)
  rotate(
    @Param('region') region: string,
    @Param('id') id: string,
    @Req() req: object,
  ): Promise<{ kafka: RegionPrincipal; nationalOverride: boolean }> {
    return this.clients.rekey(
      requireCaller(req),
      region,
      id,
      'POST /admin/v1/regions/:region/authority-clients/:id/kafka-credentials',
    );
  }

  @Post(':region/authority-clients/:id/revoke')
  @HttpCode(200)
  async revoke(
    @Param('region') region: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<{ client: SystemSummary; nationalOverride: boolean; principal: string }> {
    const r = await this.clients.withdraw(
      requireCaller(req),
      region,
      id,
      reasonOf(body, true),
      'POST /admin/v1/regions/:region/authority-clients/:id/revoke',
    );
    return { ...r, client: toSummary(r.client) };
  }
}
