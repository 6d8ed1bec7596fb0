// The wiring the domain platforms (appointments, referrals, results: the services that look
// patients up in identity) share: their infrastructure (Prisma client and outbox writer), the one
// auth guard with access records through the service's outbox, the identity client and the clock.
// Each platform passes only what is its own (scope table, controllers, services). It lives here, not in
// @trellis/service-kit, because it composes @trellis/auth and @trellis/events, which build on it.
import type { Metadata } from '@grpc/grpc-js';
import { Module, type Provider, type Type } from '@nestjs/common';
import {
  type AuthOverrides,
  requireCaller,
  type Caller,
  type ScopeTable,
  type ServiceAuthSetup,
  serviceAuthOptions,
  serviceIdentityFromConfig,
  TrellisAuthModule,
  type TrellisAuthOptions,
  VOUCH_HEADER,
} from '@trellis/auth';
import type { PrismaClientConstructor } from '@trellis/database';
import { serviceInfraModule, type Outbox, type RawSqlClient } from '@trellis/events';
import {
  CLOCK,
  type Clock,
  CONFIG,
  grpcControllerFor,
  type PrismaClientLike,
  ShutdownHooks,
  ShutdownOrder,
  systemClock,
} from '@trellis/service-kit';

import {
  IdentityPatientDirectory,
  type PatientDirectoryErrors,
} from './identity-patient-directory';
import {
  PATIENT_DIRECTORY,
  type PatientDirectory,
  type PatientLookupContext,
} from './patient-directory';

/** Who is calling, as a platform's domain needs it (structurally satisfied by @trellis/auth's Caller). */
export interface PlatformActor {
  systemId: string;
  odsCode: string;
  region: string;
  userId?: string;
  /** A citizen's own NHS number (patient token): they see everything of their own record. */
  patient?: string;
}

/** Seams for integration tests; production passes nothing. */
export interface PlatformModuleOverrides {
  /** e.g. a test authority's keySet and a StaticSystemStatusFeed instead of JWKS + Kafka. */
  auth?: AuthOverrides;
  patientDirectory?: PatientDirectory;
  clock?: Clock;
}

/** What a domain platform's configuration holds for this wiring. */
export type PlatformModuleConfig = ServiceAuthSetup<RawSqlClient>['config'] & {
  IDENTITY_GRPC_ADDR: string;
  IDENTITY_DEADLINE_MS: number;
  DEPLOY_ENV?: string;
};

/** The token of a platform's outbox writer (one platform per process). */
export const PLATFORM_OUTBOX = Symbol('identity-client.platform-outbox');

export interface PlatformModuleSpec<T extends PrismaClientLike = PrismaClientLike> {
  /** The service's name (auth, service identity, access records, the outbox's event source). */
  service: string;
  /** The token the service's generated Prisma client is provided under, and its class. */
  prisma: readonly [token: symbol, client: PrismaClientConstructor<T>];
  scopeTable: ScopeTable;
  /** How identity's failures become the service's own errors. */
  directoryErrors: PatientDirectoryErrors;
  /** The token the identity client is provided under (default PATIENT_DIRECTORY). */
  directoryToken?: symbol | string;
  /** The token the service's event sink is provided under, and its class (over the outbox). */
  eventSink: readonly [token: symbol, sink: new (outbox: Outbox) => unknown];
  controllers: Type<unknown>[];
  /** The service's own providers (they may inject CLOCK, PATIENT_DIRECTORY, PLATFORM_OUTBOX, prisma). */
  providers: Provider[];
  overrides: PlatformModuleOverrides;
}

function identityDirectory<T extends PrismaClientLike>(spec: PlatformModuleSpec<T>): Provider {
  const provide = spec.directoryToken ?? PATIENT_DIRECTORY;
  if (spec.overrides.patientDirectory)
    return { provide, useValue: spec.overrides.patientDirectory };
  return {
    provide,
    inject: [CONFIG, ShutdownHooks],
    useFactory: (config: PlatformModuleConfig, hooks: ShutdownHooks) => {
      const directory = new IdentityPatientDirectory({
        address: config.IDENTITY_GRPC_ADDR,
        deadlineMs: config.IDENTITY_DEADLINE_MS,
        errors: spec.directoryErrors,
        serviceIdentity: serviceIdentityFromConfig(spec.service, config),
      });
      hooks.register('identity-client', () => directory.close(), ShutdownOrder.MESSAGING);
      return directory;
    },
  };
}

function eventSink([provide, Sink]: PlatformModuleSpec['eventSink']): Provider {
  return { provide, inject: [PLATFORM_OUTBOX], useFactory: (outbox: Outbox) => new Sink(outbox) };
}

/**
 * A domain platform's root module (the class the platform bootstrap takes): PostgreSQL, the
 * outbox writer and the platform's event sink over it, the auth guard with access records through that outbox, the identity client, the
 * clock, and the platform's own controllers and providers.
 */
export function platformRootModule<T extends PrismaClientLike>(
  spec: PlatformModuleSpec<T>,
): Type<unknown> {
  const [prismaToken] = spec.prisma;
  @Module({
    imports: [
      serviceInfraModule({ service: spec.service, prisma: spec.prisma, outbox: PLATFORM_OUTBOX }),
      TrellisAuthModule.forRootAsync({
        inject: [CONFIG, prismaToken, PLATFORM_OUTBOX],
        useFactory: (
          config: PlatformModuleConfig,
          db: RawSqlClient,
          outbox: Outbox,
        ): TrellisAuthOptions =>
          serviceAuthOptions({
            service: spec.service,
            config,
            scopeTable: spec.scopeTable,
            overrides: spec.overrides.auth,
            requireServiceIdentity: true,
            audit: { db, outbox },
          }),
      }),
    ],
    controllers: spec.controllers,
    providers: [
      { provide: CLOCK, useValue: spec.overrides.clock ?? systemClock },
      identityDirectory(spec),
      eventSink(spec.eventSink),
      ...spec.providers,
    ],
  })
  class PlatformRootModule {}
  return PlatformRootModule;
}

/** What a platform forwards to identity for a call, plus its correlation id. */
export interface CallContext extends PatientLookupContext {
  correlationId?: string;
}

function first(md: Metadata | undefined, key: string): string | undefined {
  const v = md?.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

/** The authenticated caller (set by the global auth guard) and what to forward downstream. */
export function callOf(metadata: Metadata | undefined): { caller: Caller; ctx: CallContext } {
  const caller = requireCaller(metadata);
  return {
    caller,
    ctx: {
      authorization: first(metadata, 'authorization'),
      correlationId: first(metadata, 'x-correlation-id') ?? caller.tokenId,
      // identity's patient check serves on the gateway's vouch while its feed is down (issue 22)
      vouch: first(metadata, VOUCH_HEADER),
    },
  };
}

/** A platform's gRPC controller: its handlers take `{ caller, ctx }` (callOf) instead of the metadata. */
export const platformGrpcController = grpcControllerFor(callOf);
