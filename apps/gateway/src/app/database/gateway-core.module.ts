import { Global, Module } from '@nestjs/common';
import { CONFIG } from '@trellis/service-kit';

import { GATEWAY_CONFIG, gatewayConfigFrom, type GatewayEnv } from '../config/gateway.config';
import { GatewayPrismaService } from './gateway-prisma.service';

/** Config (typed view of the validated env) and the Prisma client, shared by every context. */
@Global()
@Module({
  providers: [
    {
      provide: GATEWAY_CONFIG,
      useFactory: (env: GatewayEnv) => gatewayConfigFrom(env),
      inject: [CONFIG],
    },
    GatewayPrismaService,
  ],
  exports: [GATEWAY_CONFIG, GatewayPrismaService],
})
export class GatewayCoreModule {}
