import type { Metadata } from '@grpc/grpc-js';
import { requireCaller } from '@trellis/auth';
import { fromTimestamp, gateway, pageArgs } from '@trellis/contracts';
import { grpcController } from '@trellis/service-kit';

import { toProto } from '../systems/systems.grpc.controller';
import { toTimestamp } from '../systems/systems.events';
import { AuthorityClientsService } from './authority-clients';
import { type TransitionRow, LifecycleService } from './lifecycle.service';
import { defaultPeriod, RegionalReadsService } from './regional-reads';
import { RegionalService } from './regional.service';
import { RegionRequirementsService, type RegionRequirementsView } from './requirements.service';
import { RegionStreamHealthService } from './stream-health';

const { SystemStatus } = gateway.v1;
const SVC = '/trellis.gateway.v1.RegionalAuthorityService';

export const RegionalGrpcController = grpcController(
  gateway.v1.RegionalAuthorityServiceDefinition,
  [
    RegionalService,
    RegionStreamHealthService,
    LifecycleService,
    RegionRequirementsService,
    RegionalReadsService,
    AuthorityClientsService,
  ],
  (
    regional: RegionalService,
    streams: RegionStreamHealthService,
    lifecycle: LifecycleService,
    requirements: RegionRequirementsService,
    reads: RegionalReadsService,
    clients: AuthorityClientsService,
  ) => ({
    listRegionCertificates: async (req, metadata) => {
      const rows = await reads.certificates(requireCaller(metadata), req.region ?? '');
      return {
        certificates: rows.map((c) => ({
          ...c,
          issuedAt: toTimestamp(new Date(c.issuedAt)),
          expiresAt: toTimestamp(new Date(c.expiresAt)),
        })),
      };
    },

    listRegionScorecards: async (req, metadata) => {
      const period = defaultPeriod(
        req.periodStart ? fromTimestamp(req.periodStart) : undefined,
        req.periodEnd ? fromTimestamp(req.periodEnd) : undefined,
      );
      const auth = metadata?.get('authorization')[0];
      const cards = await reads.scorecards(
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
    },

    createRegionAuthorityClient: async (req, metadata) => {
      const r = await clients.create(
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
    },

    listRegionAuthorityClients: async (req, metadata) => {
      const page = await clients.list(
        requireCaller(metadata),
        req.region ?? '',
        ...pageArgs(req.page),
      );
      return {
        clients: page.clients.map((c) => ({ client: toProto(c.row), principal: c.principal })),
        page: { nextPageToken: page.next },
        managedBy: page.managedBy,
      };
    },

    rekeyRegionAuthorityClient: async (req, metadata) => {
      const r = await clients.rekey(
        requireCaller(metadata),
        req.region ?? '',
        req.id ?? '',
        `${SVC}/RekeyRegionAuthorityClient`,
      );
      return {
        kafka: { ...r.kafka, password: r.kafka.password ?? '' },
        nationalOverride: r.nationalOverride,
      };
    },

    revokeRegionAuthorityClient: async (req, metadata) => {
      const r = await clients.withdraw(
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
    },

    transitionRegionSystem: async (req, metadata) => {
      const auth = metadata?.get('authorization')[0];
      const r = await lifecycle.transition(
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
    },

    getRegionSystemLifecycle: async (req, metadata) => {
      const h = await lifecycle.history(requireCaller(metadata), req.region ?? '', req.id ?? '');
      return { state: h.state, transitions: h.transitions.map(transitionProto) };
    },

    getRegionRequirements: async (req, metadata) => {
      return {
        requirements: requirementsProto(
          await requirements.get(requireCaller(metadata), req.region ?? ''),
        ),
      };
    },

    setRegionRequirements: async (req, metadata) => {
      const updated = requirementsProto(
        await requirements.set(
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
      return { requirements: updated };
    },

    getRegionStreamHealth: async (req, metadata) => {
      const region = req.region ?? '';
      regional.authorise(requireCaller(metadata), region, 'systems.read');
      const h = await streams.health(region);
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
    },

    listRegionSystems: async (req, metadata) => {
      const status =
        req.status === SystemStatus.SYSTEM_STATUS_ACTIVE
          ? 'active'
          : req.status === SystemStatus.SYSTEM_STATUS_SUSPENDED
            ? 'suspended'
            : undefined;
      const { rows, next, total } = await regional.list(
        requireCaller(metadata),
        req.region ?? '',
        ...pageArgs(req.page),
        status,
      );
      return { systems: rows.map(toProto), page: { nextPageToken: next, total } };
    },

    suspendRegionSystem: standingChange(regional, 'suspend', 'SuspendRegionSystem'),
    reinstateRegionSystem: standingChange(regional, 'reinstate', 'ReinstateRegionSystem'),
  }),
);

/** Suspending or reinstating a region's system: one call, named by its act and its RPC. */
function standingChange(
  regional: RegionalService,
  act: 'suspend' | 'reinstate',
  rpc: 'SuspendRegionSystem' | 'ReinstateRegionSystem',
) {
  return async (
    req: gateway.v1.SuspendRegionSystemRequest | gateway.v1.ReinstateRegionSystemRequest,
    metadata?: Metadata,
  ): Promise<gateway.v1.SuspendRegionSystemResponse | gateway.v1.ReinstateRegionSystemResponse> => {
    const r = await regional[act](
      requireCaller(metadata),
      req.region ?? '',
      req.id ?? '',
      req.reason ?? '',
      `${SVC}/${rpc}`,
    );
    return { system: toProto(r.system), nationalOverride: r.nationalOverride };
  };
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
