import { requireCaller } from '@trellis/auth';
import { gateway } from '@trellis/contracts';
import { grpcController } from '@trellis/service-kit';

import { toTimestamp } from './systems.events';
import { type SystemRow } from './systems.repository';
import { SystemsService } from './systems.service';

const { SystemStatus } = gateway.v1;

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

export const SystemsGrpcController = grpcController(
  gateway.v1.ConnectedSystemServiceDefinition,
  [SystemsService],
  (systems: SystemsService) => ({
    registerSystem: async (req, metadata) => {
      const row = await systems.register(
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
    },
    getSystem: async (req) => ({ system: toProto(await systems.get(req.id ?? '')) }),
    listSystems: async (req) => {
      const status = statusFilter(req.status);
      const { rows, next, total } = await systems.list(
        req.page?.pageSize ?? 0,
        req.page?.pageToken ?? '',
        status,
      );
      return { systems: rows.map(toProto), page: { nextPageToken: next, total } };
    },
    updateSystemScopes: async (req, metadata) => ({
      system: toProto(
        await systems.updateScopes(
          req.id ?? '',
          req.allowedScopes ?? [],
          req.expectedVersion ?? 0,
          requireCaller(metadata),
        ),
      ),
    }),
    suspendSystem: async (req, metadata) => ({
      system: toProto(
        await systems.suspend(req.id ?? '', req.reason ?? '', requireCaller(metadata)),
      ),
    }),
    reactivateSystem: async (req, metadata) => ({
      system: toProto(await systems.reactivate(req.id ?? '', requireCaller(metadata))),
    }),
    rotateSystemKeys: async (req, metadata) => ({
      system: toProto(await systems.rotateKeys(req.id ?? '', req.keys, requireCaller(metadata))),
    }),
  }),
);
