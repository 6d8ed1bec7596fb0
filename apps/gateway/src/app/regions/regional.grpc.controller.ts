import { type Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { gateway } from '@trellis/contracts';

import { toProto } from '../systems/systems.grpc.controller';
import { toTimestamp } from '../systems/systems.events';
import { RegionalService } from './regional.service';
import { RegionStreamHealthService } from './stream-health';

const { SystemStatus, RegionalAuthorityServiceControllerMethods } = gateway.v1;
const SVC = '/trellis.gateway.v1.RegionalAuthorityService';

@Controller()
@RegionalAuthorityServiceControllerMethods()
export class RegionalGrpcController implements gateway.v1.RegionalAuthorityServiceController {
  constructor(
    private readonly regional: RegionalService,
    private readonly streams: RegionStreamHealthService,
  ) {}

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
