import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createPrismaClient, PrismaLifecycle } from '@trellis/database';
import { InjectConfig } from '@trellis/platform';
import { PrismaClient } from '../generated/prisma/client';
import type { IdentityConfig } from './config';

@Injectable()
export class PrismaService
  extends PrismaLifecycle<PrismaClient>
  implements OnModuleInit, OnApplicationShutdown
{
  constructor(@InjectConfig() config: IdentityConfig) {
    super(
      createPrismaClient(PrismaClient, {
        url: config.DATABASE_URL,
        schema: config.DATABASE_SCHEMA,
        poolSize: config.DATABASE_POOL_SIZE,
        applicationName: 'identity',
      }),
    );
  }
}
