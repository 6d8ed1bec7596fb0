// The wiring the domain platforms (appointments, referrals, results: the services that look
// patients up in identity) share: their infrastructure module, the one auth guard with access
// records through the service's outbox, the identity client and the clock. Each platform passes
// only what is its own (scope table, controllers, services). It lives here, not in
// @trellis/platform, because it composes @trellis/auth and @trellis/events, which build on it.
import type { Metadata } from '@grpc/grpc-js';
import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
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
import type { Outbox, RawSqlClient } from '@trellis/events';
import {
  CLOCK,
  type Clock,
  CONFIG,
  ShutdownHooks,
  ShutdownOrder,
  systemClock,
} from '@trellis/platform';

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

export interface PlatformModuleSpec {
  /** The service's name (auth, service identity, access records). */
  service: string;
  /** The module class the dynamic module is registered as. */
  module: Type<unknown>;
  /** The global infrastructure module exporting `prisma` and `outbox`. */
  infra: DynamicModule;
  prisma: symbol;
  outbox: symbol;
  scopeTable: ScopeTable;
  /** How identity's failures become the service's own errors. */
  directoryErrors: PatientDirectoryErrors;
  /** The token the identity client is provided under (default PATIENT_DIRECTORY). */
  directoryToken?: symbol | string;
  controllers: Type<unknown>[];
  /** The service's own providers (they may inject CLOCK, PATIENT_DIRECTORY, the infra tokens). */
  providers: Provider[];
  overrides: PlatformModuleOverrides;
}

function identityDirectory(spec: PlatformModuleSpec): Provider {
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

/** A domain platform's module: infrastructure, auth guard, identity client, clock and its own parts. */
export function platformModule(spec: PlatformModuleSpec): DynamicModule {
  return {
    module: spec.module,
    imports: [
      spec.infra,
      TrellisAuthModule.forRootAsync({
        inject: [CONFIG, spec.prisma, spec.outbox],
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
      ...spec.providers,
    ],
  };
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function rootModuleOf(module: DynamicModule): Type<unknown> {
  @Module({ imports: [module] })
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
