import { Global, Module, type DynamicModule } from '@nestjs/common';
import { createOutbox, type Outbox } from '@trellis/events';
import { prismaClientProvider } from '@trellis/platform';

import { PRISMA, PrismaClient } from './prisma';

export const OUTBOX = Symbol('referrals.outbox');

/** PostgreSQL (Prisma on the service schema) and the outbox writer, shared by every module. */
@Global()
@Module({})
export class ReferralsInfraModule {
  static register(): DynamicModule {
    return {
      module: ReferralsInfraModule,
      providers: [
        prismaClientProvider(PRISMA, PrismaClient),
        {
          provide: OUTBOX,
          useFactory: (): Outbox => createOutbox({ source: '/trellis/referrals' }),
        },
      ],
      exports: [PRISMA, OUTBOX],
    };
  }
}
