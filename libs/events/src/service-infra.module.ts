import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { PrismaClientConstructor } from '@trellis/database';
import { prismaClientProvider, type PrismaClientLike } from '@trellis/service-kit';

import { createOutbox, type Outbox } from './outbox/outbox';

/**
 * The service's own Prisma client again, under one token every service shares: what the
 * messaging provider hands its inbox consumer, so no service names its client for that.
 */
export const SERVICE_PRISMA = Symbol('events.service-prisma');

export interface ServiceInfraSpec<T extends PrismaClientLike> {
  /** The service's name: its outbox's CloudEvents source is `/trellis/<service>`. */
  service: string;
  /** The token the service's own generated Prisma client is provided under, and its class. */
  prisma: readonly [token: symbol, client: PrismaClientConstructor<T>];
  /** The token of the outbox writer, for a service that publishes events (none: no outbox). */
  outbox?: symbol;
}

/**
 * A service's global infrastructure module: PostgreSQL through its Prisma client (connected and
 * checked at boot, disconnected at shutdown) and, where it publishes, its outbox writer.
 */
export function serviceInfraModule<T extends PrismaClientLike>(
  spec: ServiceInfraSpec<T>,
): DynamicModule {
  const [prismaToken, Client] = spec.prisma;
  const outboxToken = spec.outbox;
  const providers: Provider[] = [
    prismaClientProvider(prismaToken, Client),
    { provide: SERVICE_PRISMA, useExisting: prismaToken },
  ];
  if (outboxToken)
    providers.push({
      provide: outboxToken,
      useFactory: (): Outbox => createOutbox({ source: `/trellis/${spec.service}` }),
    });
  @Module({})
  class ServiceInfraModule {}
  Object.defineProperty(ServiceInfraModule, 'name', { value: `${spec.service}InfraModule` });
  return {
    module: ServiceInfraModule,
    global: true,
    providers,
    exports: outboxToken
      ? [prismaToken, SERVICE_PRISMA, outboxToken]
      : [prismaToken, SERVICE_PRISMA],
  };
}
