import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';

import { CitizenTokenExchange } from '../citizens/citizen-tokens';
import { StaffTokenExchange } from '../citizens/staff-tokens';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { SystemsModule } from '../systems/systems.module';
import { ensureSigningKeyFile, SigningKeyRing } from './signing-keys';
import { DELIVERY_TOKEN_PATH, DeliveryTokensController } from './delivery-tokens.controller';
import { tokenBodyMiddleware } from './tokens.body';
import { TokensController } from './tokens.controller';
import { TokensRepository } from './tokens.repository';
import { SIGNING_KEY_RING, TokensService } from './tokens.service';

@Module({
  imports: [SystemsModule, RateLimitModule],
  controllers: [TokensController, DeliveryTokensController],
  providers: [
    {
      provide: SIGNING_KEY_RING,
      useFactory: async (config: GatewayConfig) => {
        if (config.generateSigningKeyIfAbsent) await ensureSigningKeyFile(config.signingKeyFile);
        // elsewhere a missing key ring fails the boot: replicas generating their own would disagree
        return SigningKeyRing.load(config.signingKeyFile);
      },
      inject: [GATEWAY_CONFIG],
    },
    TokensRepository,
    TokensService,
    CitizenTokenExchange,
    StaffTokenExchange,
  ],
  exports: [SIGNING_KEY_RING, TokensService],
})
export class TokensModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(tokenBodyMiddleware())
      .forRoutes(
        { path: 'oauth2/token', method: RequestMethod.POST },
        { path: DELIVERY_TOKEN_PATH, method: RequestMethod.POST },
      );
  }
}
