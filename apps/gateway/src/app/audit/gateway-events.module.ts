import { Global, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { createAccessAuditor, type AccessAuditor } from '@trellis/auth';
import { createOutbox, startServiceMessaging, type OutboxRelay } from '@trellis/events';
import { CONFIG, HealthRegistry, ShutdownHooks } from '@trellis/platform';

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
export class GatewayMessaging implements OnApplicationBootstrap {
  relay?: OutboxRelay;

  constructor(
    @Inject(CONFIG) private readonly env: GatewayEnv,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly hooks: ShutdownHooks,
    private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const started = await startServiceMessaging({
      config: {
        ...this.env,
        KAFKA_CLIENT_ID: 'gateway-relay',
        OUTBOX_RELAY_ENABLED: true,
        DATABASE_URL: this.config.databaseUrl,
        DATABASE_SCHEMA: this.config.databaseSchema,
      },
      hooks: this.hooks,
      health: this.health,
      relay: { pollIntervalMs: 500, stopTimeoutMs: 3_000 },
    });
    this.relay = started.relay;
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
