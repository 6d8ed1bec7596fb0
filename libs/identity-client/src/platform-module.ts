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
  CachingPatientDirectory,
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

/** What a platform's domain service is built from (its `services` entries). */
export interface PlatformParts<T, S, C = PlatformModuleConfig> {
  /** The service's Prisma client. */
  prisma: T;
  /** The identity client (cached where the spec says `directoryCache`). */
  patients: PatientDirectory;
  /** The identity client itself, never cached (the same as `patients` without `directoryCache`). */
  uncachedPatients: PatientDirectory;
  sink: S;
  clock: Clock;
  config: C;
}

/** A domain service of the platform: its class (the provider token) and how it is built. */
export type PlatformServiceSpec<T, S, C> = readonly [
  service: Type<unknown>,
  build: (parts: PlatformParts<T, S, C>) => unknown,
];

export interface PlatformModuleSpec<
  T extends PrismaClientLike = PrismaClientLike,
  S = unknown,
  C extends PlatformModuleConfig = PlatformModuleConfig,
> {
  /** The service's name (auth, service identity, access records, the outbox's event source). */
  service: string;
  /** The token the service's generated Prisma client is provided under, and its class. */
  prisma: readonly [token: symbol, client: PrismaClientConstructor<T>];
  scopeTable: ScopeTable;
  /** How identity's failures become the service's own errors. */
  directoryErrors: PatientDirectoryErrors;
  /** Identity's answers cached for this long (PATIENT_DIRECTORY; `uncachedPatients` is not). */
  directoryCache?: { ttlMs: (config: C) => number };
  /** The platform's event sink class (over the outbox): its services' `sink`. */
  eventSink: new (outbox: Outbox) => S;
  controllers: Type<unknown>[];
  /** The platform's domain services, each built from the platform's parts. */
  services?: readonly PlatformServiceSpec<T, S, C>[];
  /** The service's own providers (they may inject CLOCK, PATIENT_DIRECTORY, PLATFORM_OUTBOX, prisma). */
  providers?: Provider[];
  overrides: PlatformModuleOverrides;
}

/** The identity client itself, never cached (PATIENT_DIRECTORY is it, or its cache). */
const UNCACHED_DIRECTORY = Symbol('identity-client.uncached-directory');

/** The identity client (or the test's directory) and PATIENT_DIRECTORY: it, or its cache. */
function identityDirectories<T extends PrismaClientLike, S, C extends PlatformModuleConfig>(
  spec: PlatformModuleSpec<T, S, C>,
): Provider[] {
  const overridden = spec.overrides.patientDirectory;
  if (overridden)
    return [
      { provide: UNCACHED_DIRECTORY, useValue: overridden },
      { provide: PATIENT_DIRECTORY, useValue: overridden },
    ];
  const cache = spec.directoryCache;
  return [
    {
      provide: UNCACHED_DIRECTORY,
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
    },
    cache
      ? {
          provide: PATIENT_DIRECTORY,
          inject: [CONFIG, UNCACHED_DIRECTORY],
          useFactory: (config: C, directory: PatientDirectory) =>
            new CachingPatientDirectory(directory, cache.ttlMs(config)),
        }
      : { provide: PATIENT_DIRECTORY, useExisting: UNCACHED_DIRECTORY },
  ];
}

/** The platform's event sink, over its outbox (what its domain services get as `sink`). */
const PLATFORM_EVENT_SINK = Symbol('identity-client.platform-event-sink');

function eventSink<S>(Sink: new (outbox: Outbox) => S): Provider {
  return {
    provide: PLATFORM_EVENT_SINK,
    inject: [PLATFORM_OUTBOX],
    useFactory: (outbox: Outbox) => new Sink(outbox),
  };
}

function domainService<T extends PrismaClientLike, S, C extends PlatformModuleConfig>(
  spec: PlatformModuleSpec<T, S, C>,
  [service, build]: PlatformServiceSpec<T, S, C>,
): Provider {
  return {
    provide: service,
    inject: [
      spec.prisma[0],
      PATIENT_DIRECTORY,
      UNCACHED_DIRECTORY,
      PLATFORM_EVENT_SINK,
      CLOCK,
      CONFIG,
    ],
    useFactory: (
      prisma: T,
      patients: PatientDirectory,
      uncachedPatients: PatientDirectory,
      sink: S,
      clock: Clock,
      config: C,
    ) => build({ prisma, patients, uncachedPatients, sink, clock, config }),
  };
}

/**
 * A domain platform's root module (the class the platform bootstrap takes): PostgreSQL, the
 * outbox writer and the platform's event sink over it, the auth guard with access records through that outbox, the identity client, the
 * clock, and the platform's own controllers and providers.
 */
export function platformRootModule<T extends PrismaClientLike, S, C extends PlatformModuleConfig>(
  spec: PlatformModuleSpec<T, S, C>,
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
      ...identityDirectories(spec),
      eventSink(spec.eventSink),
      ...(spec.services ?? []).map((service) => domainService(spec, service)),
      ...(spec.providers ?? []),
    ],
  })
  class PlatformRootModule {}
  return PlatformRootModule;
}

/**
 * The root module factory of a domain platform (`createXModule(overrides?)`): platformRootModule
 * of the spec, with the seams the bootstrap (none) or a test passes.
 */
export function platformModule<T extends PrismaClientLike, S, C extends PlatformModuleConfig>(
  spec: Omit<PlatformModuleSpec<T, S, C>, 'overrides'>,
): (overrides?: PlatformModuleOverrides) => Type<unknown> {
  return (overrides = {}) => platformRootModule({ ...spec, overrides });
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
