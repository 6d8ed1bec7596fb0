// The root module of a service behind the gateway: its infrastructure (Prisma client and, where it
// publishes, the outbox writer) and the one auth guard (optionally with access records through
// that outbox), plus the service's own controllers and providers. Lives in @trellis/auth because
// it composes the guard with @trellis/events' infrastructure module.
import { Module, type Provider, type Type } from '@nestjs/common';
import {
  serviceInfraModule,
  type Outbox,
  type RawSqlClient,
  type ServiceInfraSpec,
} from '@trellis/events';
import { CONFIG, type PrismaClientLike } from '@trellis/service-kit';

import { TrellisAuthModule, type TrellisAuthOptions } from './auth.module';
import { type ScopeTable } from './scope-table';
import { type AuthOverrides, serviceAuthOptions, type ServiceAuthSetup } from './service-auth';

/** Seams for integration tests; production passes nothing. */
export interface ServiceModuleOverrides {
  /** e.g. a test authority's keySet and a StaticSystemStatusFeed instead of JWKS + Kafka. */
  auth?: AuthOverrides;
}

/** What a service's configuration holds for this wiring. */
export type ServiceModuleConfig = ServiceAuthSetup<RawSqlClient>['config'];

export interface ServiceModuleSpec<
  T extends PrismaClientLike,
  C extends ServiceModuleConfig = ServiceModuleConfig,
> {
  /** The service's name (auth, service identity, access records, the outbox's event source). */
  service: string;
  /** The token the service's generated Prisma client is provided under, and its class. */
  prisma: ServiceInfraSpec<T>['prisma'];
  /** The outbox writer's token, for a service that publishes; `accessRecords`: the guard's too. */
  outbox?: { token: symbol; accessRecords?: boolean };
  scopeTable: ScopeTable;
  /** Refuse protected calls that carry no service token (local systems use the gateway). */
  requireServiceIdentity?: boolean;
  /** The suspension feed's topic when the service reads another than the default. */
  statusTopic?: (config: C) => string | undefined;
  controllers: Type<unknown>[];
  /** The service's own providers (they may inject CONFIG, the prisma token and the outbox's). */
  providers: Provider[];
  overrides: ServiceModuleOverrides;
}

/** A service's root module (the class the service bootstrap takes). */
export function serviceRootModule<T extends PrismaClientLike, C extends ServiceModuleConfig>(
  spec: ServiceModuleSpec<T, C>,
): Type<unknown> {
  const [prismaToken] = spec.prisma;
  const outbox = spec.outbox;
  const accessRecords = outbox?.accessRecords ? outbox.token : undefined;
  @Module({
    imports: [
      serviceInfraModule({ service: spec.service, prisma: spec.prisma, outbox: outbox?.token }),
      TrellisAuthModule.forRootAsync({
        inject: accessRecords ? [CONFIG, prismaToken, accessRecords] : [CONFIG],
        useFactory: (config: C, db?: RawSqlClient, recordsOutbox?: Outbox): TrellisAuthOptions =>
          serviceAuthOptions({
            service: spec.service,
            config,
            scopeTable: spec.scopeTable,
            overrides: spec.overrides.auth,
            requireServiceIdentity: spec.requireServiceIdentity,
            statusTopic: spec.statusTopic?.(config),
            ...(db && recordsOutbox ? { audit: { db, outbox: recordsOutbox } } : {}),
          }),
      }),
    ],
    controllers: spec.controllers,
    providers: spec.providers,
  })
  class ServiceRootModule {}
  Object.defineProperty(ServiceRootModule, 'name', { value: `${spec.service}RootModule` });
  return ServiceRootModule;
}

/**
 * The root module factory of a service (`createXModule(overrides?)`): serviceRootModule of the
 * spec, with the seams the bootstrap (none) or a test passes (as platformModule is a platform's).
 */
export function serviceModule<T extends PrismaClientLike, C extends ServiceModuleConfig>(
  spec: Omit<ServiceModuleSpec<T, C>, 'overrides'>,
): (overrides?: ServiceModuleOverrides) => Type<unknown> {
  return (overrides = {}) => serviceRootModule({ ...spec, overrides });
}
