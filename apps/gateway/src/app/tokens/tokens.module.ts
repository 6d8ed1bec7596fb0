import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { GatewayVouchSigner } from '@trellis/auth';

import { CertificatesRepository } from '../certification/certificates.repository';
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

/** Signs the gateway's per-call vouches (issue 22) with its current token-signing key. */
export const GATEWAY_VOUCH_SIGNER = Symbol('GATEWAY_VOUCH_SIGNER');

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
    {
      provide: GATEWAY_VOUCH_SIGNER,
      // the platforms verify it against the JWKS they already trust for access tokens
      useFactory: (ring: SigningKeyRing, config: GatewayConfig) =>
        new GatewayVouchSigner({ issuer: config.publicUrl, key: ring.current }),
      inject: [SIGNING_KEY_RING, GATEWAY_CONFIG],
    },
    CertificatesRepository,
    TokensRepository,
    TokensService,
    CitizenTokenExchange,
    StaffTokenExchange,
  ],
  exports: [SIGNING_KEY_RING, GATEWAY_VOUCH_SIGNER, TokensService],
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
