import { type FactoryProvider } from '@nestjs/common';
import { createPrismaClient, type PrismaClientConstructor } from '@trellis/database';

import { CONFIG } from './config';
import { HealthRegistry } from './health-registry';
import { ShutdownHooks, ShutdownOrder } from './shutdown-hooks';

/** What the provider needs of a generated Prisma client. */
export interface PrismaClientLike {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
  $disconnect(): Promise<void>;
}

/** The configuration keys a service's database connection reads. */
export interface ServiceDatabaseConfig {
  SERVICE_NAME: string;
  DATABASE_URL?: string;
  DATABASE_SCHEMA?: string;
  DATABASE_POOL_SIZE?: number;
}

/** The service's database settings, every missing one named at once. */
export function databaseSettings(config: ServiceDatabaseConfig): {
  url: string;
  schema: string;
  poolSize?: number;
  applicationName: string;
} {
  const missing = (['DATABASE_URL', 'DATABASE_SCHEMA'] as const).filter((k) => !config[k]);
  if (missing.length > 0)
    throw new Error(`${config.SERVICE_NAME} needs ${missing.join(' and ')} for its database`);
  return {
    url: config.DATABASE_URL!,
    schema: config.DATABASE_SCHEMA!,
    ...(config.DATABASE_POOL_SIZE ? { poolSize: config.DATABASE_POOL_SIZE } : {}),
    applicationName: config.SERVICE_NAME,
  };
}

/**
 * The service's Prisma client (its own generated class) as a Nest provider: connected and checked
 * once at boot, a `postgres` readiness check, disconnected in the database step of shutdown.
 */
export function prismaClientProvider<T extends PrismaClientLike>(
  token: symbol | string,
  Client: PrismaClientConstructor<T>,
): FactoryProvider<Promise<T>> {
  return {
    provide: token,
    inject: [CONFIG, HealthRegistry, ShutdownHooks],
    useFactory: async (
      config: ServiceDatabaseConfig,
      health: HealthRegistry,
      hooks: ShutdownHooks,
    ): Promise<T> => {
      const prisma = createPrismaClient(Client, databaseSettings(config));
      await prisma.$queryRaw`SELECT 1`;
      health.register('postgres', () => prisma.$queryRaw`SELECT 1`);
      hooks.register('prisma', () => prisma.$disconnect(), ShutdownOrder.DATABASE);
      return prisma;
    },
  };
}
