import { type Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { fromTimestamp, gateway } from '@trellis/contracts';

import { toProto } from '../systems/systems.grpc.controller';
import { toTimestamp } from '../systems/systems.events';
import { AuthorityClientsService } from './authority-clients';
import { type TransitionRow, LifecycleService } from './lifecycle.service';
import { defaultPeriod, RegionalReadsService } from './regional-reads';
import { RegionalService } from './regional.service';
import { RegionRequirementsService, type RegionRequirementsView } from './requirements.service';
import { RegionStreamHealthService } from './stream-health';

const { SystemStatus, RegionalAuthorityServiceControllerMethods } = gateway.v1;
const SVC = '/trellis.gateway.v1.RegionalAuthorityService';

@Controller()
@RegionalAuthorityServiceControllerMethods()
export class RegionalGrpcController implements gateway.v1.RegionalAuthorityServiceController {
  constructor(
    private readonly regional: RegionalService,
    private readonly streams: RegionStreamHealthService,
    private readonly lifecycle: LifecycleService,
    private readonly requirements: RegionRequirementsService,
    private readonly reads: RegionalReadsService,
    private readonly clients: AuthorityClientsService,
  ) {}

  async listRegionCertificates(
    req: gateway.v1.ListRegionCertificatesRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.ListRegionCertificatesResponse> {
    const rows = await this.reads.certificates(requireCaller(metadata), req.region ?? '');
    return {
      certificates: rows.map((c) => ({
        ...c,
        issuedAt: toTimestamp(new Date(c.issuedAt)),
        expiresAt: toTimestamp(new Date(c.expiresAt)),
      })),
    };
  }

  async listRegionScorecards(
    req: gateway.v1.ListRegionScorecardsRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.ListRegionScorecardsResponse> {
    const period = defaultPeriod(
      req.periodStart ? fromTimestamp(req.periodStart) : undefined,
      req.periodEnd ? fromTimestamp(req.periodEnd) : undefined,
    );
    const auth = metadata?.get('authorization')[0];
    const cards = await this.reads.scorecards(
      requireCaller(metadata),
      req.region ?? '',
      period,
      typeof auth === 'string' ? auth : undefined,
    );
    return {
      periodStart: toTimestamp(period.start),
      periodEnd: toTimestamp(period.end),
      scorecards: cards.map((c) => ({
        systemId: c.systemId,
        name: c.name,
        odsCode: c.odsCode,
        lifecycle: c.lifecycle,
        status:
          c.status === 'active'
            ? SystemStatus.SYSTEM_STATUS_ACTIVE
            : SystemStatus.SYSTEM_STATUS_SUSPENDED,
        counted: c.card !== null,
        requests: c.card?.requests ?? 0,
        accepted: c.card?.accepted ?? 0,
        refused: c.card?.refused ?? 0,
        violations: c.card?.violations ?? 0,
        conformanceRate: c.card?.conformanceRate ?? 1,
      })),
    };
  }

  async createRegionAuthorityClient(
    req: gateway.v1.CreateRegionAuthorityClientRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.CreateRegionAuthorityClientResponse> {
    const r = await this.clients.create(
      requireCaller(metadata),
      req.region ?? '',
      {
        clientId: req.clientId ?? '',
        name: req.name ?? '',
        odsCode: req.odsCode ?? '',
        keys: req.keys,
        scopes: req.scopes ?? [],
      },
      `${SVC}/CreateRegionAuthorityClient`,
    );
    return { client: toProto(r.client), kafka: { ...r.kafka, password: r.kafka.password ?? '' } };
  }

  async listRegionAuthorityClients(
    req: gateway.v1.ListRegionAuthorityClientsRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.ListRegionAuthorityClientsResponse> {
    const page = await this.clients.list(
      requireCaller(metadata),
      req.region ?? '',
      req.page?.pageSize ?? 0,
      req.page?.pageToken ?? '',
    );
    return {
      clients: page.clients.map((c) => ({ client: toProto(c.row), principal: c.principal })),
      page: { nextPageToken: page.next },
      managedBy: page.managedBy,
    };
  }

  async rekeyRegionAuthorityClient(
    req: gateway.v1.RekeyRegionAuthorityClientRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.RekeyRegionAuthorityClientResponse> {
    const r = await this.clients.rekey(
      requireCaller(metadata),
      req.region ?? '',
      req.id ?? '',
      `${SVC}/RekeyRegionAuthorityClient`,
    );
    return {
      kafka: { ...r.kafka, password: r.kafka.password ?? '' },
      nationalOverride: r.nationalOverride,
    };
  }

  async revokeRegionAuthorityClient(
    req: gateway.v1.RevokeRegionAuthorityClientRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.RevokeRegionAuthorityClientResponse> {
    const r = await this.clients.withdraw(
      requireCaller(metadata),
      req.region ?? '',
      req.id ?? '',
      req.reason ?? '',
      `${SVC}/RevokeRegionAuthorityClient`,
    );
    return {
      client: toProto(r.client),
      nationalOverride: r.nationalOverride,
      principal: r.principal,
    };
  }

  async transitionRegionSystem(
    req: gateway.v1.TransitionRegionSystemRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.TransitionRegionSystemResponse> {
    const auth = metadata?.get('authorization')[0];
    const r = await this.lifecycle.transition(
      requireCaller(metadata),
      req.region ?? '',
      req.id ?? '',
      req.to ?? '',
      req.reason ?? '',
      `${SVC}/TransitionRegionSystem`,
      typeof auth === 'string' ? auth : undefined,
    );
    return {
      system: toProto(r.system),
      nationalOverride: r.nationalOverride,
      transition: transitionProto(r.transition),
    };
  }

  async getRegionSystemLifecycle(
    req: gateway.v1.GetRegionSystemLifecycleRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.GetRegionSystemLifecycleResponse> {
    const h = await this.lifecycle.history(requireCaller(metadata), req.region ?? '', req.id ?? '');
    return { state: h.state, transitions: h.transitions.map(transitionProto) };
  }

  async getRegionRequirements(
    req: gateway.v1.GetRegionRequirementsRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.GetRegionRequirementsResponse> {
    return {
      requirements: requirementsProto(
        await this.requirements.get(requireCaller(metadata), req.region ?? ''),
      ),
    };
  }

  async setRegionRequirements(
    req: gateway.v1.SetRegionRequirementsRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.SetRegionRequirementsResponse> {
    const requirements = requirementsProto(
      await this.requirements.set(
        requireCaller(metadata),
        req.region ?? '',
        {
          extraCertificateRoles: req.extraCertificateRoles ?? [],
          maxViolationRate: req.maxViolationRate ?? null,
          reason: req.reason ?? '',
        },
        `${SVC}/SetRegionRequirements`,
      ),
    );
    return { requirements };
  }

  async getRegionStreamHealth(
    req: gateway.v1.GetRegionStreamHealthRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.GetRegionStreamHealthResponse> {
    const region = req.region ?? '';
    this.regional.authorise(requireCaller(metadata), region, 'systems.read');
    const h = await this.streams.health(region);
    return {
      topic: h.topic,
      subscribers: h.subscribers.map((s) => ({
        groupId: s.groupId,
        lag: s.lag,
        partitions: s.partitions.map((p) => ({
          partition: p.partition,
          committed: Number(p.committed),
          highWatermark: Number(p.highWatermark),
          lag: p.lag,
        })),
      })),
      totalLag: h.totalLag,
      asOf: toTimestamp(h.asOf),
    };
  }

  async listRegionSystems(
    req: gateway.v1.ListRegionSystemsRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.ListRegionSystemsResponse> {
    const status =
      req.status === SystemStatus.SYSTEM_STATUS_ACTIVE
        ? 'active'
        : req.status === SystemStatus.SYSTEM_STATUS_SUSPENDED
          ? 'suspended'
          : undefined;
    const { rows, next, total } = await this.regional.list(
      requireCaller(metadata),
      req.region ?? '',
      req.page?.pageSize ?? 0,
      req.page?.pageToken ?? '',
      status,
    );
    return { systems: rows.map(toProto), page: { nextPageToken: next, total } };
  }

  async suspendRegionSystem(
    req: gateway.v1.SuspendRegionSystemRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.SuspendRegionSystemResponse> {
    const r = await this.regional.suspend(
      requireCaller(metadata),
      req.region ?? '',
      req.id ?? '',
      req.reason ?? '',
      `${SVC}/SuspendRegionSystem`,
    );
    return { system: toProto(r.system), nationalOverride: r.nationalOverride };
  }

  async reinstateRegionSystem(
    req: gateway.v1.ReinstateRegionSystemRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.ReinstateRegionSystemResponse> {
    const r = await this.regional.reinstate(
      requireCaller(metadata),
      req.region ?? '',
      req.id ?? '',
      req.reason ?? '',
      `${SVC}/ReinstateRegionSystem`,
    );
    return { system: toProto(r.system), nationalOverride: r.nationalOverride };
  }
}

function transitionProto(t: TransitionRow): gateway.v1.LifecycleTransition {
  return {
    from: t.fromState ?? '',
    to: t.toState,
    actor: t.actor,
    reason: t.reason,
    nationalOverride: t.nationalOverride,
    at: toTimestamp(t.at),
  };
}

function requirementsProto(r: RegionRequirementsView): gateway.v1.RegionRequirements {
  return {
    region: r.region,
    extraCertificateRoles: [...r.extraCertificateRoles],
    ...(r.maxViolationRate !== null ? { maxViolationRate: r.maxViolationRate } : {}),
    reason: r.reason,
    changedBy: r.changedBy,
    changedAt: r.changedAt ? toTimestamp(r.changedAt) : undefined,
    version: r.version,
  };
}
