import { Global, Module } from '@nestjs/common';
import { createPrismaClient } from '@trellis/database';
import { CONFIG, HealthRegistry, ShutdownHooks, ShutdownOrder } from '@trellis/platform';

import { RouterMessaging } from '../events/router-messaging';
import type { RouterConfig } from './config';
import { PRISMA, PrismaClient } from './prisma';

/** PostgreSQL (schema `router`: inbox, outbox, patient homes) and the regional routing. */
@Global()
@Module({
  providers: [
    {
      provide: PRISMA,
      inject: [CONFIG, HealthRegistry, ShutdownHooks],
      useFactory: async (config: RouterConfig, health: HealthRegistry, hooks: ShutdownHooks) => {
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
    RouterMessaging,
  ],
  exports: [PRISMA],
})
export class RouterModule {}
