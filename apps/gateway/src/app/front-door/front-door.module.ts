import { Module } from '@nestjs/common';
import { CONFIG } from '@trellis/service-kit';

import { type GatewayEnv } from '../config/gateway.config';
import { FhirModule } from '../fhir/fhir.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { FRONT_DOOR_CONFIG, type FrontDoorConfig } from './front-door.config';
import { FrontDoorServer } from './front-door.server';

/** Local systems' gRPC door: authenticate, rate-limit, count, audit refusals, forward. */
@Module({
  imports: [FhirModule, RateLimitModule, TokensModule],
  providers: [
    {
      provide: FRONT_DOOR_CONFIG,
      useFactory: (env: GatewayEnv): FrontDoorConfig => ({
        host: env.FRONTDOOR_GRPC_HOST ?? env.GRPC_HOST,
        port: env.FRONTDOOR_GRPC_PORT,
        deadlineMs: env.FRONTDOOR_DEADLINE_MS,
      }),
      inject: [CONFIG],
    },
    FrontDoorServer,
  ],
  exports: [FrontDoorServer],
})
export class FrontDoorModule {}
