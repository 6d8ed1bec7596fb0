import { fromOptionalTimestamp, pageOf, referrals } from '@trellis/contracts';

import { ReferralsError } from '../domain/referrals.errors';
import type { Status } from '../domain/referral-state';
import type { Page } from '../referrals/referrals.support';
import { ReferralsService, type Priority } from '../referrals/referrals.service';
import { platformGrpcController } from '@trellis/identity-client';
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
    ...pageOf(req.page),
  };
}

export const ReferralGrpcController = platformGrpcController(
  referrals.v1.ReferralServiceDefinition,
  [ReferralsService],
  (service: ReferralsService) => {
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
      sendReferral: async (req, { caller, ctx }) => {
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
      getReferral: async (req, { caller }) => {
        return one(await service.get(caller, req.referralId));
      },
      getReferralAttachment: async (req, { caller }) => {
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
      getReferralTimeline: async (req, { caller }) => {
        const { referral, entries } = await service.timeline(caller, req.referralId);
        return { ...one(referral), entries: entries.map(timelineEntryToProto) };
      },
      acceptReferral: async (req, { caller, ctx }) => {
        return one(await service.accept(caller, req.referralId, req.note, ctx));
      },
      rejectReferral: async (req, { caller, ctx }) => {
        return one(await service.reject(caller, req.referralId, req.reason, ctx));
      },
      returnReferral: async (req, { caller, ctx }) => {
        return one(await service.returnToReferrer(caller, req.referralId, req.reason, ctx));
      },
      giveAdvice: async (req, { caller, ctx }) => {
        return one(await service.giveAdvice(caller, req.referralId, req.advice, ctx));
      },
      convertAdviceToReferral: async (req, { caller, ctx }) => {
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
      completeReferral: async (req, { caller, ctx }) => {
        return one(await service.complete(caller, req.referralId, req.note, ctx));
      },
      cancelReferral: async (req, { caller, ctx }) => {
        return one(await service.cancel(caller, req.referralId, req.reason, ctx));
      },
      stopRttClock: async (req, { caller, ctx }) => {
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
      listIncomingReferrals: async (req, { caller }) =>
        listed(await service.listIncoming(caller, listQuery(req))),
      listSentReferrals: async (req, { caller }) =>
        listed(await service.listSent(caller, listQuery(req))),
      listPatientReferrals: async (req, { caller }) =>
        listed(await service.listForPatient(caller, listQuery(req))),
      getProviderWaitingList: async (req, { caller }) => {
        const { list, bySpecialty, asOf } = await service.providerWaitingList(caller, req.odsCode);
        return {
          waitingList: waitingListToProto(list),
          bySpecialty: bySpecialty.map(waitingListToProto),
          asOf: { seconds: Math.floor(asOf.getTime() / 1000), nanos: 0 },
        };
      },
      getRegionalWaitingLists: async (req, { caller }) => {
        const r = await service.regionalWaitingLists(caller, req.region);
        return {
          total: waitingListToProto(r.total),
          providers: r.providers.map(waitingListToProto),
          providerSpecialties: r.providerSpecialties.map(waitingListToProto),
          asOf: { seconds: Math.floor(r.asOf.getTime() / 1000), nanos: 0 },
        };
      },
      getRegionWaitingList: async (req, { caller }) => {
        const { total, providers, asOf } = await service.regionWaitingList(caller, req.region);
        return {
          total: waitingListToProto(total),
          providers: providers.map(waitingListToProto),
          asOf: { seconds: Math.floor(asOf.getTime() / 1000), nanos: 0 },
        };
      },
      updateReferral: async (req, { caller, ctx }) => {
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
      getReferralVersion: async (req, { caller }) => {
        const v = await service.getVersion(caller, req.referralId, req.version);
        return { version: versionToProto(v, service.now()) };
      },
      listReferralVersions: async (req, { caller }) => {
        const res = await service.listVersions(caller, req.referralId, {
          ...pageOf(req.page),
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
