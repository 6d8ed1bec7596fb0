import { type Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { gateway } from '@trellis/contracts';

import { toTimestamp } from './systems.events';
import { type SystemRow } from './systems.repository';
import { SystemsService } from './systems.service';

const { SystemStatus, ConnectedSystemServiceControllerMethods } = gateway.v1;

export function toProto(row: SystemRow): gateway.v1.ConnectedSystem {
  return {
    id: row.id,
    name: row.name,
    supplier: row.supplier,
    odsCode: row.odsCode,
    region: row.region,
    keys: row.jwksUrl
      ? { jwksUrl: row.jwksUrl }
      : { jwksJson: JSON.stringify(row.jwks ?? { keys: [] }) },
    allowedScopes: row.allowedScopes,
    status:
      row.status === 'active'
        ? SystemStatus.SYSTEM_STATUS_ACTIVE
        : SystemStatus.SYSTEM_STATUS_SUSPENDED,
    version: row.version,
    createdBy: row.createdBy,
    createdAt: toTimestamp(row.createdAt),
    changedBy: row.changedBy,
    changedAt: toTimestamp(row.changedAt),
    suspensionReason: row.suspensionReason ?? '',
    productVersionId: row.productVersionId,
    writesRestricted: row.writesRestricted,
    lifecycle: row.lifecycle,
  };
}

function statusFilter(s: gateway.v1.SystemStatus | undefined): 'active' | 'suspended' | undefined {
  if (s === SystemStatus.SYSTEM_STATUS_ACTIVE) return 'active';
  if (s === SystemStatus.SYSTEM_STATUS_SUSPENDED) return 'suspended';
  return undefined;
}

@Controller()
@ConnectedSystemServiceControllerMethods()
export class SystemsGrpcController implements gateway.v1.ConnectedSystemServiceController {
  constructor(private readonly systems: SystemsService) {}

  async registerSystem(
    req: gateway.v1.RegisterSystemRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.RegisterSystemResponse> {
    const row = await this.systems.register(
      {
        name: req.name ?? '',
        supplier: req.supplier ?? '',
        odsCode: req.odsCode ?? '',
        region: req.region ?? '',
        keys: req.keys,
        allowedScopes: req.allowedScopes ?? [],
        clientId: req.clientId ?? '',
        productVersionId: req.productVersionId ?? '',
        lifecycle: req.lifecycle ?? '',
      },
      requireCaller(metadata),
    );
    return { system: toProto(row) };
  }

  async getSystem(req: gateway.v1.GetSystemRequest): Promise<gateway.v1.GetSystemResponse> {
    return { system: toProto(await this.systems.get(req.id ?? '')) };
  }

  async listSystems(req: gateway.v1.ListSystemsRequest): Promise<gateway.v1.ListSystemsResponse> {
    const status = statusFilter(req.status);
    const { rows, next, total } = await this.systems.list(
      req.page?.pageSize ?? 0,
      req.page?.pageToken ?? '',
      status,
    );
    return { systems: rows.map(toProto), page: { nextPageToken: next, total } };
  }

  async updateSystemScopes(
    req: gateway.v1.UpdateSystemScopesRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.UpdateSystemScopesResponse> {
    return {
      system: toProto(
        await this.systems.updateScopes(
          req.id ?? '',
          req.allowedScopes ?? [],
          req.expectedVersion ?? 0,
          requireCaller(metadata),
        ),
      ),
    };
  }

  async suspendSystem(
    req: gateway.v1.SuspendSystemRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.SuspendSystemResponse> {
    return {
      system: toProto(
        await this.systems.suspend(req.id ?? '', req.reason ?? '', requireCaller(metadata)),
      ),
    };
  }

  async reactivateSystem(
    req: gateway.v1.ReactivateSystemRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.ReactivateSystemResponse> {
    return {
      system: toProto(await this.systems.reactivate(req.id ?? '', requireCaller(metadata))),
    };
  }

  async rotateSystemKeys(
    req: gateway.v1.RotateSystemKeysRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.RotateSystemKeysResponse> {
    return {
      system: toProto(
        await this.systems.rotateKeys(req.id ?? '', req.keys, requireCaller(metadata)),
      ),
    };
  }
}
