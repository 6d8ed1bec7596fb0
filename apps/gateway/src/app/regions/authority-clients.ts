import { Body, Controller, Get, HttpCode, Injectable, Param, Post, Req } from '@nestjs/common';
import { parseRegionScope, REGION_ACTIONS, requireCaller, type Caller } from '@trellis/auth';
import { DomainError } from '@trellis/platform';

import { LEGACY_PRODUCT_VERSION_ID } from '../products/products.repository';
import { reasonOf, toSummary, type SystemSummary } from '../systems/systems.admin.controller';
import { SystemsRepository, type SystemRow } from '../systems/systems.repository';
import { SystemsService } from '../systems/systems.service';
import { type KeysInput } from '../systems/systems.validation';
import { LifecycleError } from './lifecycle';
import { principalOf, RegionPrincipals, type RegionPrincipal } from './region-principals';
import { RegionalService } from './regional.service';

/** The most authority clients one listing answers (a region has a handful). */
const MAX_LISTED = 200;

/** Scopes an authority client may hold besides its region's: the reads its region's views use. */
const READS = new Set(['system/MeasureReport.rs', 'system/AuditEvent.s', 'system/AuditEvent.rs']);

export interface AuthorityClientInput {
  clientId: string;
  name: string;
  odsCode: string;
  keys: KeysInput | undefined;
  scopes: string[];
}

const invalid = (field: string, message: string): LifecycleError =>
  new LifecycleError('LIFECYCLE_INVALID_ARGUMENT', `invalid ${field}`, [
    { field, rule: 'authority-client', message },
  ]);

/**
 * A region's authority clients (issue 18), created through the regional API by the region's own
 * authority or the national operator: the connected system (an authority organisation of the
 * region, region-bound scopes of that region only) and its Kafka principal for the region's
 * stream, with no shell step. The act is on the region's stream and in the audit.
 */
@Injectable()
export class AuthorityClientsService {
  constructor(
    private readonly regional: RegionalService,
    private readonly systems: SystemsService,
    private readonly principals: RegionPrincipals,
    private readonly repo: SystemsRepository,
  ) {}

  /**
   * The region's authority clients (its systems holding a scope of the region), for the console's
   * re-key and withdrawal actions; `managedBy` says whether the platform manages their principals.
   */
  async list(
    caller: Caller,
    region: string,
  ): Promise<{ clients: SystemSummary[]; truncated: boolean; managedBy: string }> {
    this.regional.authorise(caller, region, 'systems.read');
    const scopes = REGION_ACTIONS.map((a) => `region/${region}/${a}`);
    const rows = await this.repo.withAnyScope(region, scopes, MAX_LISTED + 1);
    return {
      clients: rows.slice(0, MAX_LISTED).map(toSummary),
      truncated: rows.length > MAX_LISTED,
      managedBy: this.principals.managedBy,
    };
  }

  async create(
    caller: Caller,
    region: string,
    input: AuthorityClientInput,
    interaction: string,
  ): Promise<{ client: SystemSummary; kafka: RegionPrincipal }> {
    this.regional.authorise(caller, region, 'systems.write');
    if (input.scopes.length === 0) throw invalid('scopes', 'at least one region scope');
    for (const s of input.scopes) {
      const p = parseRegionScope(s);
      if (!(p ? p.region === region : READS.has(s)))
        throw invalid(
          'scopes',
          `${s.slice(0, 80)}: only region/${region}/… and ${[...READS].join(', ')}`,
        );
    }
    if (!input.scopes.some((s) => parseRegionScope(s)))
      throw invalid('scopes', 'at least one region scope');
    const row = await this.systems.register(
      {
        ...(input.clientId ? { clientId: input.clientId } : {}),
        name: input.name,
        supplier: `${region} regional digital authority`,
        odsCode: input.odsCode,
        region,
        keys: input.keys,
        allowedScopes: input.scopes,
        productVersionId: LEGACY_PRODUCT_VERSION_ID,
      },
      caller,
      this.regional.record(
        caller,
        region,
        'authority-client.created',
        `authority client ${input.name.slice(0, 80)} for ${region}`,
        interaction,
      ),
    );
    const kafka = await this.principals.provision(region, row.id);
    return { client: toSummary(row), kafka };
  }

  /** The registry row of a client (the gRPC door answers the full ConnectedSystem). */
  row(id: string): Promise<SystemRow> {
    return this.systems.get(id);
  }

  /** A new Kafka password (and the ACLs again) for one of the region's authority clients. */
  async rotateKafka(caller: Caller, region: string, id: string): Promise<RegionPrincipal> {
    const row = await this.client(caller, region, id);
    return this.principals.provision(region, row.id);
  }

  /**
   * Withdraws an authority client: suspends it (its tokens and calls stop, on the region's stream
   * and in the audit, one transaction) and then deletes its Kafka principal's SCRAM credential and
   * ACLs. An already suspended client only loses its principal: the retry when the broker was
   * unavailable, and the way to withdraw a client that was suspended first.
   */
  async withdraw(
    caller: Caller,
    region: string,
    id: string,
    reason: string,
    interaction: string,
  ): Promise<{ client: SystemSummary; nationalOverride: boolean; principal: string }> {
    if (!reason.trim()) throw invalid('reason', 'a non-empty reason is required');
    const before = await this.client(caller, region, id);
    const row =
      before.status === 'suspended'
        ? before
        : await this.systems.suspend(
            id,
            reason,
            caller,
            this.regional.record(caller, region, 'authority-client.withdrawn', reason, interaction),
          );
    try {
      await this.principals.revoke(region, row.id);
    } catch (err) {
      throw new DomainError(
        'gateway',
        'KAFKA_PRINCIPAL_FAILED',
        'UNAVAILABLE',
        `the client is suspended but its Kafka principal could not be deleted (${String(err).slice(0, 120)}); retry POST …/authority-clients/${row.id}/revoke`,
      );
    }
    return {
      client: toSummary(row),
      nationalOverride: this.regional.isOverride(caller, region),
      principal: principalOf(region, row.id),
    };
  }

  private async client(caller: Caller, region: string, id: string): Promise<SystemRow> {
    const row = await this.regional.inRegion(caller, region, id);
    if (!row.allowedScopes.some((s) => parseRegionScope(s)?.region === region))
      throw invalid('id', `${id} is not an authority client of ${region}`);
    return row;
  }
}

const str = (body: unknown, name: string): string => {
  const v =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (v === undefined) return '';
  if (typeof v !== 'string') throw invalid(name, 'a string');
  return v;
};

/** JSON door: GET and POST /admin/v1/regions/:region/authority-clients, …/:id/kafka-credentials, …/:id/revoke. */
@Controller('admin/v1/regions')
export class AuthorityClientsController {
  constructor(private readonly clients: AuthorityClientsService) {}

  @Get(':region/authority-clients')
  list(
    @Param('region') region: string,
    @Req() req: object,
  ): Promise<{ clients: SystemSummary[]; truncated: boolean; managedBy: string }> {
    return this.clients.list(requireCaller(req), region);
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
    return this.clients.create(
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
  }

  @Post(':region/authority-clients/:id/kafka-credentials')
  @HttpCode(200)
  async rotate(
    @Param('region') region: string,
    @Param('id') id: string,
    @Req() req: object,
  ): Promise<{ kafka: RegionPrincipal }> {
    return { kafka: await this.clients.rotateKafka(requireCaller(req), region, id) };
  }

  @Post(':region/authority-clients/:id/revoke')
  @HttpCode(200)
  async revoke(
    @Param('region') region: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: object,
  ): Promise<{ client: SystemSummary; nationalOverride: boolean; principal: string }> {
    return this.clients.withdraw(
      requireCaller(req),
      region,
      id,
      reasonOf(body, true),
      'POST /admin/v1/regions/:region/authority-clients/:id/revoke',
    );
  }
}
