import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createPrismaClientWithPool, PrismaLifecycle } from '@trellis/database';
import { InjectConfig } from '@trellis/service-kit';
import type { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import type { IdentityConfig } from './config';

@Injectable()
export class PrismaService
  extends PrismaLifecycle<PrismaClient>
  implements OnModuleInit, OnApplicationShutdown
{
  /** The pool under the client: the patient read by NHS number runs on it directly. */
  readonly pool: Pool;

  constructor(@InjectConfig() config: IdentityConfig) {
    const { client, pool } = createPrismaClientWithPool(PrismaClient, {
      url: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      poolSize: config.DATABASE_POOL_SIZE,
      applicationName: 'identity',
    });
    super(client);
    this.pool = pool;
  }
}
