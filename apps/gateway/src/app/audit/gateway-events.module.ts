import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createAccessAuditor, type AccessAuditor } from '@trellis/auth';
import {
  createEventBus,
  createOutbox,
  createOutboxRelay,
  type EventPublisher,
  type OutboxRelay,
} from '@trellis/events';

import { type PrismaClient } from '../../generated/prisma/client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { GATEWAY_OUTBOX, type GatewayOutbox } from './gateway-outbox';

export const GATEWAY_AUDITOR = Symbol('GATEWAY_AUDITOR');
export const GATEWAY_RELAY = Symbol('GATEWAY_RELAY');
export const GATEWAY_PUBLISHER = Symbol('GATEWAY_PUBLISHER');

/** Runs the gateway's outbox relay (registry events, access audit) for the app's lifetime. */
@Injectable()
class RelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('GatewayOutboxRelay');
  constructor(
    @Inject(GATEWAY_RELAY) private readonly relay: OutboxRelay,
    @Inject(GATEWAY_PUBLISHER) private readonly publisher: EventPublisher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.relay.start();
    this.logger.log('outbox relay started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop({ flush: true, timeoutMs: 3_000 });
    await this.publisher.disconnect(); // the relay connects its publisher; the owner disconnects it
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
      provide: GATEWAY_PUBLISHER,
      useFactory: (config: GatewayConfig): EventPublisher =>
        createEventBus({ clientId: 'gateway-relay', ...config.kafka }).publisher(),
      inject: [GATEWAY_CONFIG],
    },
    {
      provide: GATEWAY_RELAY,
      useFactory: (config: GatewayConfig, publisher: EventPublisher) =>
        createOutboxRelay({
          databaseUrl: config.databaseUrl,
          schema: config.databaseSchema,
          publisher,
          pollIntervalMs: 500,
        }),
      inject: [GATEWAY_CONFIG, GATEWAY_PUBLISHER],
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
    RelayLifecycle,
  ],
  exports: [GATEWAY_OUTBOX, GATEWAY_AUDITOR, GATEWAY_RELAY],
})
export class GatewayEventsModule {}
