import { grpcController } from '@trellis/service-kit';
import { requireCaller } from '@trellis/auth';
import { audit, fromTimestamp, toTimestamp } from '@trellis/contracts';

import { AuditService } from '../audit/audit.service';
import { viewerOf } from '../audit/viewer';
import type { StoredAccess } from '../store/access-events.repository';

export function accessEventToProto(a: StoredAccess): audit.v1.AccessEvent {
  return {
    auditId: a.auditId,
    recordedAt: toTimestamp(a.recordedAt),
    action: a.action,
    outcome: a.outcome,
    outcomeDescription: a.outcomeDescription,
    interaction: a.interaction,
    systemId: a.systemId,
    odsCode: a.odsCode,
    region: a.region,
    userId: a.userId,
    patientNhsNumber: a.patientNhsNumber,
    resourceType: a.resourceType,
    resourceId: a.resourceId,
    sourceService: a.sourceService,
    traceId: a.traceId,
    requiredScope: a.requiredScope,
    purposeOfUse: a.purposeOfUse,
    ...(a.flaggedAt ? { flaggedAt: toTimestamp(a.flaggedAt) } : {}),
  };
}

export const AuditGrpcController = grpcController(
  audit.v1.AuditServiceDefinition,
  [AuditService],
  (audit: AuditService) => ({
    searchAccessEvents: async (req, md) => {
      const viewer = viewerOf(requireCaller(md));
      const res = await audit.search(viewer, {
        patientNhsNumber: req.patientNhsNumber,
        ...(req.from ? { from: fromTimestamp(req.from) } : {}),
        ...(req.to ? { to: fromTimestamp(req.to) } : {}),
        odsCode: req.odsCode,
        systemId: req.systemId,
        action: req.action,
        outcome: req.outcome,
        excludePatientOwn: req.excludePatientOwn,
        pageSize: req.page?.pageSize ?? 0,
        pageToken: req.page?.pageToken ?? '',
      });
      // an absent total stays absent on the wire (an unset optional field)
      const page = { nextPageToken: res.nextPageToken, total: res.total };
      return { events: res.events.map(accessEventToProto), page };
    },
    getAccessEvent: async (req, md) => {
      const viewer = viewerOf(requireCaller(md));
      return { event: accessEventToProto(await audit.get(viewer, req.auditId)) };
    },
    flagAccessEvent: async (req, md) => {
      const caller = requireCaller(md);
      const res = await audit.flag(viewerOf(caller), caller.userId ?? caller.systemId, {
        auditId: req.auditId,
        reason: req.reason,
        gpOdsCode: req.gpOdsCode,
        gpRegion: req.gpRegion,
      });
      return {
        flagId: res.flagId,
        event: accessEventToProto(res.event),
        flaggedAt: toTimestamp(res.flaggedAt),
        replayed: res.replayed,
      };
    },
  }),
);
