import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { requireCaller } from '@trellis/auth';
import { audit, fromTimestamp, toTimestamp } from '@trellis/contracts';

import { AuditService } from '../audit/audit.service';
import { viewerOf } from '../audit/viewer';
import type { StoredAccess } from '../store/access-events.repository';

const { AuditServiceControllerMethods } = audit.v1;

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

@Controller()
@AuditServiceControllerMethods()
export class AuditGrpcController implements audit.v1.AuditServiceController {
  constructor(private readonly audit: AuditService) {}

  async searchAccessEvents(
    req: audit.v1.SearchAccessEventsRequest,
    md?: Metadata,
  ): Promise<audit.v1.SearchAccessEventsResponse> {
    const viewer = viewerOf(requireCaller(md));
    const res = await this.audit.search(viewer, {
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
    return {
      events: res.events.map(accessEventToProto),
      page: {
        nextPageToken: res.nextPageToken,
        ...(res.total !== undefined ? { total: res.total } : {}),
      },
    };
  }

  async getAccessEvent(
    req: audit.v1.GetAccessEventRequest,
    md?: Metadata,
  ): Promise<audit.v1.GetAccessEventResponse> {
    const viewer = viewerOf(requireCaller(md));
    return { event: accessEventToProto(await this.audit.get(viewer, req.auditId)) };
  }

  async flagAccessEvent(
    req: audit.v1.FlagAccessEventRequest,
    md?: Metadata,
  ): Promise<audit.v1.FlagAccessEventResponse> {
    const caller = requireCaller(md);
    const res = await this.audit.flag(viewerOf(caller), caller.userId ?? caller.systemId, {
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
  }
}
