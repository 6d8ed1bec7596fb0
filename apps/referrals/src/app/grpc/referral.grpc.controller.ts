import { grpcController, type GrpcHandlers } from '@trellis/service-kit';
import { fromOptionalTimestamp, referrals } from '@trellis/contracts';

import { ReferralsError } from '../domain/referrals.errors';
import type { Status } from '../domain/referral-state';
import type { Page } from '../referrals/referrals.support';
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

/** A worklist request (incoming, sent, one patient's) as the queries take it, its filters checked. */
function listQuery(req: {
  statuses?: number[];
  priorities?: number[];
  nhsNumber?: string;
  page?: { pageSize?: number; pageToken?: string } | undefined;
}) {
  return {
    ...filters(req.statuses ?? [], req.priorities ?? []),
    nhsNumber: req.nhsNumber ?? '',
    pageSize: req.page?.pageSize,
    pageToken: req.page?.pageToken,
  };
}

export const ReferralGrpcController = grpcController(
  referrals.v1.ReferralServiceDefinition,
  [ReferralsService],
  (service: ReferralsService): GrpcHandlers<referrals.v1.ReferralServiceController> => {
    const one = (r: Parameters<typeof referralToProto>[0]): { referral: referrals.v1.Referral } => {
      return { referral: referralToProto(r, service.now()) };
    };
    /** A page of referrals as a worklist response (their waiting times as of now). */
    const listed = (res: Page) => {
      const now = service.now();
      return {
        referrals: res.referrals.map((r) => referralToProto(r, now)),
        page: { nextPageToken: res.nextPageToken, total: res.total },
      };
    };
    return {
      sendReferral: async (req, md) => {
        const { caller, ctx } = callOf(md);
        const { referral, replayed } = await service.send(
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
        return { ...one(referral), replayed };
      },
      getReferral: async (req, md) => {
        const { caller } = callOf(md);
        return one(await service.get(caller, req.referralId));
      },
      getReferralAttachment: async (req, md) => {
        const { caller } = callOf(md);
        const a = await service.attachment(caller, req.attachmentId);
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
      },
      getReferralTimeline: async (req, md) => {
        const { caller } = callOf(md);
        const { referral, entries } = await service.timeline(caller, req.referralId);
        return { ...one(referral), entries: entries.map(timelineEntryToProto) };
      },
      acceptReferral: async (req, md) => {
        const { caller, ctx } = callOf(md);
        return one(await service.accept(caller, req.referralId, req.note, ctx));
      },
      rejectReferral: async (req, md) => {
        const { caller, ctx } = callOf(md);
        return one(await service.reject(caller, req.referralId, req.reason, ctx));
      },
      returnReferral: async (req, md) => {
        const { caller, ctx } = callOf(md);
        return one(await service.returnToReferrer(caller, req.referralId, req.reason, ctx));
      },
      giveAdvice: async (req, md) => {
        const { caller, ctx } = callOf(md);
        return one(await service.giveAdvice(caller, req.referralId, req.advice, ctx));
      },
      convertAdviceToReferral: async (req, md) => {
        const { caller, ctx } = callOf(md);
        const { referral, original } = await service.convertAdvice(
          caller,
          req.referralId,
          req.note,
          ctx,
        );
        const now = service.now();
        return {
          referral: referralToProto(referral, now),
          original: referralToProto(original, now),
        };
      },
      completeReferral: async (req, md) => {
        const { caller, ctx } = callOf(md);
        return one(await service.complete(caller, req.referralId, req.note, ctx));
      },
      cancelReferral: async (req, md) => {
        const { caller, ctx } = callOf(md);
        return one(await service.cancel(caller, req.referralId, req.reason, ctx));
      },
      stopRttClock: async (req, md) => {
        const { caller, ctx } = callOf(md);
        return one(
          await service.stopClock(
            caller,
            req.referralId,
            stopReasonFromProto(req.reason),
            fromOptionalTimestamp(req.at),
            ctx,
          ),
        );
      },
      listIncomingReferrals: async (req, md) =>
        listed(await service.listIncoming(callOf(md).caller, listQuery(req))),
      listSentReferrals: async (req, md) =>
        listed(await service.listSent(callOf(md).caller, listQuery(req))),
      listPatientReferrals: async (req, md) =>
        listed(await service.listForPatient(callOf(md).caller, listQuery(req))),
      getProviderWaitingList: async (req, md) => {
        const { caller } = callOf(md);
        const { list, bySpecialty, asOf } = await service.providerWaitingList(caller, req.odsCode);
        return {
          waitingList: waitingListToProto(list),
          bySpecialty: bySpecialty.map(waitingListToProto),
          asOf: { seconds: Math.floor(asOf.getTime() / 1000), nanos: 0 },
        };
      },
      getRegionalWaitingLists: async (req, md) => {
        const { caller } = callOf(md);
        const r = await service.regionalWaitingLists(caller, req.region);
        return {
          total: waitingListToProto(r.total),
          providers: r.providers.map(waitingListToProto),
          providerSpecialties: r.providerSpecialties.map(waitingListToProto),
          asOf: { seconds: Math.floor(r.asOf.getTime() / 1000), nanos: 0 },
        };
      },
      getRegionWaitingList: async (req, md) => {
        const { caller } = callOf(md);
        const { total, providers, asOf } = await service.regionWaitingList(caller, req.region);
        return {
          total: waitingListToProto(total),
          providers: providers.map(waitingListToProto),
          asOf: { seconds: Math.floor(asOf.getTime() / 1000), nanos: 0 },
        };
      },
      updateReferral: async (req, md) => {
        const { caller, ctx } = callOf(md);
        const { referral, changedFields } = await service.update(
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
        return { ...one(referral), changedFields };
      },
      getReferralVersion: async (req, md) => {
        const { caller } = callOf(md);
        const v = await service.getVersion(caller, req.referralId, req.version);
        return { version: versionToProto(v, service.now()) };
      },
      listReferralVersions: async (req, md) => {
        const { caller } = callOf(md);
        const res = await service.listVersions(caller, req.referralId, {
          pageSize: req.page?.pageSize,
          pageToken: req.page?.pageToken,
        });
        const now = service.now();
        return {
          versions: res.versions.map((v) => versionToProto(v, now)),
          page: { nextPageToken: res.nextPageToken, total: res.total },
        };
      },
    };
  },
);
