import { Inject, Module, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { SERVICE_IDENTITY, type GatewayVouchSigner, type ServiceIdentity } from '@trellis/auth';
import { CONFIG } from '@trellis/service-kit';

import { type GatewayEnv } from '../config/gateway.config';
import { GATEWAY_VOUCH_SIGNER, TokensModule } from '../tokens/tokens.module';
import { SUBSCRIPTIONS_CLIENT, SubscriptionsClient } from './subscriptions.client';

/**
 * The notifications service's client for Subscription at the FHIR facade
 * (SubscriptionsFhirController, registered by the FHIR module among its resource routes).
 */
@Module({
  imports: [TokensModule],
  exports: [SUBSCRIPTIONS_CLIENT],
  providers: [
    {
      provide: SUBSCRIPTIONS_CLIENT,
      inject: [CONFIG, SERVICE_IDENTITY, GATEWAY_VOUCH_SIGNER],
      useFactory: (
        env: GatewayEnv,
        identity: ServiceIdentity | null,
        vouches: GatewayVouchSigner,
      ) =>
        env.NOTIFICATIONS_GRPC_ADDR
          ? new SubscriptionsClient(
              env.NOTIFICATIONS_GRPC_ADDR,
              env.NOTIFICATIONS_DEADLINE_MS,
              identity ?? undefined,
              vouches,
            )
          : null,
    },
  ],
})
export class SubscriptionsModule implements OnApplicationShutdown {
  constructor(
    @Optional() @Inject(SUBSCRIPTIONS_CLIENT) private readonly client: SubscriptionsClient | null,
  ) {}

  onApplicationShutdown(): void {
    this.client?.close();
  }
}
