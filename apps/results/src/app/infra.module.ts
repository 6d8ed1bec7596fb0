import { Global, Module, type DynamicModule } from '@nestjs/common';
import { createPrismaClient } from '@trellis/database';
import { createOutbox, type Outbox } from '@trellis/events';
import { CONFIG, HealthRegistry, ShutdownHooks, ShutdownOrder } from '@trellis/platform';

import type { ResultsConfig } from './config';
import { PRISMA, PrismaClient } from './prisma';

export const OUTBOX = Symbol('results.outbox');

/** PostgreSQL (Prisma on the service schema) and the outbox writer, shared by every module. */
@Global()
@Module({})
export class ResultsInfraModule {
  static register(): DynamicModule {
    return {
      module: ResultsInfraModule,
      providers: [
        {
          provide: PRISMA,
          inject: [CONFIG, HealthRegistry, ShutdownHooks],
          useFactory: async (
            config: ResultsConfig,
            health: HealthRegistry,
            hooks: ShutdownHooks,
          ) => {
            const prisma = createPrismaClient(PrismaClient, {
              url: config.DATABASE_URL,
              schema: config.DATABASE_SCHEMA,
              poolSize: config.DATABASE_POOL_SIZE,
              applicationName: config.SERVICE_NAME,
            });
            await prisma.$queryRaw`SELECT 1`;
            health.register('postgres', () => prisma.$queryRaw`SELECT 1`);
            hooks.register('prisma', () => prisma.$disconnect(), ShutdownOrder.DATABASE);
            return prisma;
          },
        },
        {
          provide: OUTBOX,
          useFactory: (): Outbox => createOutbox({ source: '/trellis/results' }),
        },
      ],
      exports: [PRISMA, OUTBOX],
    };
  }
}
