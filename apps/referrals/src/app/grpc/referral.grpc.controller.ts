import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { fromOptionalTimestamp, referrals } from '@trellis/contracts';

import { ReferralsError } from '../domain/referrals.errors';
import type { Status } from '../domain/referral-state';
import { ReferralsService, type Priority } from '../referrals/referrals.service';
import { callOf } from '@trellis/identity-client';
import {
  priorityFromProto,
  referralToProto,
  statusFromProto,
  stopReasonFromProto,
  timelineEntryToProto,
  versionToProto,
  waitingListToProto,
} from './mappers';

const { ReferralServiceControllerMethods } = referrals.v1;

/** Proto enum filters → domain values; an unknown or UNSPECIFIED value is refused, not ignored. */
function filters(
  statuses: number[],
  priorities: number[],
): { statuses: Status[]; priorities: Priority[] } {
  const badS = statuses.findIndex((s) => !statusFromProto(s));
  const badP = priorities.findIndex((p) => !priorityFromProto(p));
  const violations = [
    ...(badS >= 0
      ? [
          {
            field: `statuses[${badS}]`,
            rule: 'enum',
            message: 'statuses must be known ReferralStatus values',
          },
        ]
      : []),
    ...(badP >= 0
      ? [
          {
            field: `priorities[${badP}]`,
            rule: 'enum',
            message: 'priorities must be known ReferralPriority values',
          },
        ]
      : []),
  ];
  if (violations.length) throw ReferralsError.invalid(violations);
  return {
    statuses: statuses.map((s) => statusFromProto(s)!),
    priorities: priorities.map((p) => priorityFromProto(p)!),
  };
}

@Controller()
@ReferralServiceControllerMethods()
export class ReferralGrpcController implements referrals.v1.ReferralServiceController {
  constructor(private readonly service: ReferralsService) {}

  private one(r: Parameters<typeof referralToProto>[0]): { referral: referrals.v1.Referral } {
    return { referral: referralToProto(r, this.service.now()) };
  }

  async sendReferral(
    req: referrals.v1.SendReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.SendReferralResponse> {
    const { caller, ctx } = callOf(md);
    const { referral, replayed } = await this.service.send(
      caller,
      {
        idempotencyKey: req.idempotencyKey,
        nhsNumber: req.nhsNumber,
        practitionerId: req.practitionerId,
        target: {
          odsCode: req.target?.odsCode ?? '',
          region: req.target?.region ?? '',
          specialtyCode: req.target?.specialtyCode ?? '',
        },
        priority: priorityFromProto(req.priority),
        reason: { code: req.reason?.code ?? '', display: req.reason?.display ?? '' },
        clinicalSummary: req.clinicalSummary,
        attachments: (req.attachments ?? []).map((a) => ({
          contentType: a.contentType,
          title: a.title,
          data: a.data ?? new Uint8Array(),
          sha256: a.sha256 || undefined,
        })),
      },
      ctx,
    );
    return { ...this.one(referral), replayed };
  }

  async getReferral(
    req: referrals.v1.GetReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.GetReferralResponse> {
    const { caller } = callOf(md);
    return this.one(await this.service.get(caller, req.referralId));
  }

  async getReferralAttachment(
    req: referrals.v1.GetReferralAttachmentRequest,
    md?: Metadata,
  ): Promise<referrals.v1.GetReferralAttachmentResponse> {
    const { caller } = callOf(md);
    const a = await this.service.attachment(caller, req.attachmentId);
    return {
      attachment: {
        id: a.id,
        contentType: a.contentType,
        title: a.title,
        size: a.size,
        sha256: a.sha256,
      },
      data: a.data,
      referralId: a.referralId,
      nhsNumber: a.nhsNumber,
    };
  }

  async getReferralTimeline(
    req: referrals.v1.GetReferralTimelineRequest,
    md?: Metadata,
  ): Promise<referrals.v1.GetReferralTimelineResponse> {
    const { caller } = callOf(md);
    const { referral, entries } = await this.service.timeline(caller, req.referralId);
    return { ...this.one(referral), entries: entries.map(timelineEntryToProto) };
  }

  async acceptReferral(
    req: referrals.v1.AcceptReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.AcceptReferralResponse> {
    const { caller, ctx } = callOf(md);
    return this.one(await this.service.accept(caller, req.referralId, req.note, ctx));
  }

  async rejectReferral(
    req: referrals.v1.RejectReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.RejectReferralResponse> {
    const { caller, ctx } = callOf(md);
    return this.one(await this.service.reject(caller, req.referralId, req.reason, ctx));
  }

  async returnReferral(
    req: referrals.v1.ReturnReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.ReturnReferralResponse> {
    const { caller, ctx } = callOf(md);
    return this.one(await this.service.returnToReferrer(caller, req.referralId, req.reason, ctx));
  }

  async giveAdvice(
    req: referrals.v1.GiveAdviceRequest,
    md?: Metadata,
  ): Promise<referrals.v1.GiveAdviceResponse> {
    const { caller, ctx } = callOf(md);
    return this.one(await this.service.giveAdvice(caller, req.referralId, req.advice, ctx));
  }

  async convertAdviceToReferral(
    req: referrals.v1.ConvertAdviceToReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.ConvertAdviceToReferralResponse> {
    const { caller, ctx } = callOf(md);
    const { referral, original } = await this.service.convertAdvice(
      caller,
      req.referralId,
      req.note,
      ctx,
    );
    const now = this.service.now();
    return { referral: referralToProto(referral, now), original: referralToProto(original, now) };
  }

  async completeReferral(
    req: referrals.v1.CompleteReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.CompleteReferralResponse> {
    const { caller, ctx } = callOf(md);
    return this.one(await this.service.complete(caller, req.referralId, req.note, ctx));
  }

  async cancelReferral(
    req: referrals.v1.CancelReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.CancelReferralResponse> {
    const { caller, ctx } = callOf(md);
    return this.one(await this.service.cancel(caller, req.referralId, req.reason, ctx));
  }

  async stopRttClock(
    req: referrals.v1.StopRttClockRequest,
    md?: Metadata,
  ): Promise<referrals.v1.StopRttClockResponse> {
    const { caller, ctx } = callOf(md);
    return this.one(
      await this.service.stopClock(
        caller,
        req.referralId,
        stopReasonFromProto(req.reason),
        fromOptionalTimestamp(req.at),
        ctx,
      ),
    );
  }

  async listIncomingReferrals(
    req: referrals.v1.ListIncomingReferralsRequest,
    md?: Metadata,
  ): Promise<referrals.v1.ListIncomingReferralsResponse> {
    const { caller } = callOf(md);
    const res = await this.service.listIncoming(caller, {
      ...filters(req.statuses ?? [], req.priorities ?? []),
      nhsNumber: req.nhsNumber ?? '',
      pageSize: req.page?.pageSize,
      pageToken: req.page?.pageToken,
    });
    const now = this.service.now();
    return {
      referrals: res.referrals.map((r) => referralToProto(r, now)),
      page: { nextPageToken: res.nextPageToken, total: res.total },
    };
  }

  async listSentReferrals(
    req: referrals.v1.ListSentReferralsRequest,
    md?: Metadata,
  ): Promise<referrals.v1.ListSentReferralsResponse> {
    const { caller } = callOf(md);
    const res = await this.service.listSent(caller, {
      ...filters(req.statuses ?? [], req.priorities ?? []),
      nhsNumber: req.nhsNumber ?? '',
      pageSize: req.page?.pageSize,
      pageToken: req.page?.pageToken,
    });
    const now = this.service.now();
    return {
      referrals: res.referrals.map((r) => referralToProto(r, now)),
      page: { nextPageToken: res.nextPageToken, total: res.total },
    };
  }

  async listPatientReferrals(
    req: referrals.v1.ListPatientReferralsRequest,
    md?: Metadata,
  ): Promise<referrals.v1.ListPatientReferralsResponse> {
    const { caller } = callOf(md);
    const res = await this.service.listForPatient(caller, {
      statuses: filters(req.statuses ?? [], []).statuses,
      nhsNumber: req.nhsNumber ?? '',
      pageSize: req.page?.pageSize,
      pageToken: req.page?.pageToken,
    });
    const now = this.service.now();
    return {
      referrals: res.referrals.map((r) => referralToProto(r, now)),
      page: { nextPageToken: res.nextPageToken, total: res.total },
    };
  }

  async getProviderWaitingList(
    req: referrals.v1.GetProviderWaitingListRequest,
    md?: Metadata,
  ): Promise<referrals.v1.GetProviderWaitingListResponse> {
    const { caller } = callOf(md);
    const { list, bySpecialty, asOf } = await this.service.providerWaitingList(caller, req.odsCode);
    return {
      waitingList: waitingListToProto(list),
      bySpecialty: bySpecialty.map(waitingListToProto),
      asOf: { seconds: Math.floor(asOf.getTime() / 1000), nanos: 0 },
    };
  }

  async getRegionalWaitingLists(
    req: referrals.v1.GetRegionalWaitingListsRequest,
    md?: Metadata,
  ): Promise<referrals.v1.GetRegionalWaitingListsResponse> {
    const { caller } = callOf(md);
    const r = await this.service.regionalWaitingLists(caller, req.region);
    return {
      total: waitingListToProto(r.total),
      providers: r.providers.map(waitingListToProto),
      providerSpecialties: r.providerSpecialties.map(waitingListToProto),
      asOf: { seconds: Math.floor(r.asOf.getTime() / 1000), nanos: 0 },
    };
  }

  async getRegionWaitingList(
    req: referrals.v1.GetRegionWaitingListRequest,
    md?: Metadata,
  ): Promise<referrals.v1.GetRegionWaitingListResponse> {
    const { caller } = callOf(md);
    const { total, providers, asOf } = await this.service.regionWaitingList(caller, req.region);
    return {
      total: waitingListToProto(total),
      providers: providers.map(waitingListToProto),
      asOf: { seconds: Math.floor(asOf.getTime() / 1000), nanos: 0 },
    };
  }

  async updateReferral(
    req: referrals.v1.UpdateReferralRequest,
    md?: Metadata,
  ): Promise<referrals.v1.UpdateReferralResponse> {
    const { caller, ctx } = callOf(md);
    const { referral, changedFields } = await this.service.update(
      caller,
      req.referralId,
      {
        expectedVersion: req.expectedVersion,
        priority: priorityFromProto(req.priority),
        reason: { code: req.reason?.code ?? '', display: req.reason?.display ?? '' },
        clinicalSummary: req.clinicalSummary,
        note: req.note,
      },
      ctx,
    );
    return { ...this.one(referral), changedFields };
  }

  async getReferralVersion(
    req: referrals.v1.GetReferralVersionRequest,
    md?: Metadata,
  ): Promise<referrals.v1.GetReferralVersionResponse> {
    const { caller } = callOf(md);
    const v = await this.service.getVersion(caller, req.referralId, req.version);
    return { version: versionToProto(v, this.service.now()) };
  }

  async listReferralVersions(
    req: referrals.v1.ListReferralVersionsRequest,
    md?: Metadata,
  ): Promise<referrals.v1.ListReferralVersionsResponse> {
    const { caller } = callOf(md);
    const res = await this.service.listVersions(caller, req.referralId, {
      pageSize: req.page?.pageSize,
      pageToken: req.page?.pageToken,
    });
    const now = this.service.now();
    return {
      versions: res.versions.map((v) => versionToProto(v, now)),
      page: { nextPageToken: res.nextPageToken, total: res.total },
    };
  }
}
