import { Global, Module } from '@nestjs/common';
import { prismaClientProvider } from '@trellis/service-kit';

import { RouterMessaging } from '../events/router-messaging';
import { PRISMA, PrismaClient } from './prisma';

/** PostgreSQL (schema `router`: inbox, outbox, patient homes) and the regional routing. */
@Global()
@Module({
  providers: [prismaClientProvider(PRISMA, PrismaClient), RouterMessaging],
  exports: [PRISMA],
})
export class RouterModule {}
