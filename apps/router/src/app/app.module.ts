import { Module } from '@nestjs/common';
import { serviceInfraModule } from '@trellis/events';

import { RouterMessaging } from '../events/router-messaging';
import { PRISMA, PrismaClient } from './prisma';

/** PostgreSQL (schema `router`: inbox, outbox, patient homes) and the regional routing. */
@Module({
  imports: [serviceInfraModule({ service: 'router', prisma: [PRISMA, PrismaClient] })],
  providers: [RouterMessaging],
})
export class RouterModule {}
