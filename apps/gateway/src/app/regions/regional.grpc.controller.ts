import { type Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { gateway } from '@trellis/contracts';

import { toProto } from '../systems/systems.grpc.controller';
import { RegionalService } from './regional.service';

const { SystemStatus, RegionalAuthorityServiceControllerMethods } = gateway.v1;
const SVC = '/trellis.gateway.v1.RegionalAuthorityService';

@Controller()
@RegionalAuthorityServiceControllerMethods()
export class RegionalGrpcController implements gateway.v1.RegionalAuthorityServiceController {
  constructor(private readonly regional: RegionalService) {}

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
    req: gateway.v1.RegionSystemActionRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.RegionSystemActionResponse> {
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
    req: gateway.v1.RegionSystemActionRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.RegionSystemActionResponse> {
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
