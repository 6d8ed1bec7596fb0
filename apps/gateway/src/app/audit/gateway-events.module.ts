import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { createAccessAuditor, type AccessAuditor } from '@trellis/auth';
import {
  createOutbox,
  type RawSqlClient,
  ServiceMessagingProvider,
  type ServiceMessagingPlan,
} from '@trellis/events';

import { type PrismaClient } from '../../generated/prisma/client';
import { GATEWAY_CONFIG, type GatewayConfig, type GatewayEnv } from '../config/gateway.config';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { GATEWAY_OUTBOX, type GatewayOutbox } from './gateway-outbox';

export const GATEWAY_AUDITOR = Symbol('GATEWAY_AUDITOR');

/**
 * The gateway's outbox relay (registry events, access audit), started like every service's:
 * Kafka unreachable at boot degrades the gateway (non-critical `kafka` readiness check, writes
 * wait in the outbox, the relay keeps connecting with backoff) instead of failing its start.
 */
@Injectable()
export class GatewayMessaging extends ServiceMessagingProvider<GatewayEnv> {
  constructor(@Inject(GATEWAY_CONFIG) private readonly gateway: GatewayConfig) {
    super();
  }

  protected plan(): ServiceMessagingPlan<RawSqlClient, GatewayEnv> {
    return {
      config: {
        ...this.config,
        KAFKA_CLIENT_ID: 'gateway-relay',
        OUTBOX_RELAY_ENABLED: true,
        DATABASE_URL: this.gateway.databaseUrl,
        DATABASE_SCHEMA: this.gateway.databaseSchema,
      },
      relay: { pollIntervalMs: 500, stopTimeoutMs: 3_000 },
    };
  }
}

/** The gateway's outbox (+ relay to Kafka) and its access auditor. */
@Global()
@Module({
  providers: [
    {
      provide: GATEWAY_OUTBOX,
      useFactory: (): GatewayOutbox => createOutbox({ source: '/trellis/gateway' }),
    },
    {
      provide: GATEWAY_AUDITOR,
      useFactory: (
        prisma: PrismaClient,
        outbox: GatewayOutbox,
        config: GatewayConfig,
      ): AccessAuditor =>
        createAccessAuditor({
          service: 'gateway',
          db: prisma,
          outbox,
          topic: config.auditTopic,
        }) as AccessAuditor,
      inject: [GatewayPrismaService, GATEWAY_OUTBOX, GATEWAY_CONFIG],
    },
    GatewayMessaging,
  ],
  exports: [GATEWAY_OUTBOX, GATEWAY_AUDITOR, GatewayMessaging],
})
export class GatewayEventsModule {}
