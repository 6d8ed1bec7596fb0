import { Inject, Module, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { SERVICE_IDENTITY, type ServiceIdentity } from '@trellis/auth';
import { CONFIG } from '@trellis/platform';

import { type GatewayEnv } from '../config/gateway.config';
import { SUBSCRIPTIONS_CLIENT, SubscriptionsClient } from './subscriptions.client';

/**
 * The notifications service's client for Subscription at the FHIR facade
 * (SubscriptionsFhirController, registered by the FHIR module among its resource routes).
 */
@Module({
  exports: [SUBSCRIPTIONS_CLIENT],
  providers: [
    {
      provide: SUBSCRIPTIONS_CLIENT,
      inject: [CONFIG, SERVICE_IDENTITY],
      useFactory: (env: GatewayEnv, identity: ServiceIdentity | null) =>
        env.NOTIFICATIONS_GRPC_ADDR
          ? new SubscriptionsClient(
              env.NOTIFICATIONS_GRPC_ADDR,
              env.NOTIFICATIONS_DEADLINE_MS,
              identity ?? undefined,
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
