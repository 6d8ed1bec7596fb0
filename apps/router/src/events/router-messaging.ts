import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { startServiceMessaging, type InboxConsumer, type OutboxRelay } from '@trellis/events';
import { CONFIG, HealthRegistry, LOGGER, ShutdownHooks, type Logger } from '@trellis/platform';

import type { RouterConfig } from '../app/config';
import { PRISMA, type PrismaClient } from '../app/prisma';
import { RegionRouter } from '../app/routing/region-router';

/**
 * The router's Kafka side: an inbox consumer of the domain topics that writes each event's
 * regional copies to the outbox in the same transaction, and the outbox relay that publishes them
 * to `trellis.region.<region>.v1`. Started after Nest is up, stopped by the shutdown hooks.
 */
@Injectable()
export class RouterMessaging implements OnApplicationBootstrap {
  relay?: OutboxRelay;
  consumer?: InboxConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: RouterConfig,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly hooks: ShutdownHooks,
    private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const router = new RegionRouter(this.config.TRELLIS_REGIONS);
    const started = await startServiceMessaging({
      config: this.config,
      hooks: this.hooks,
      health: this.health,
      kafkaRequired: true,
      consumer: {
        name: 'domain-events-consumer',
        groupId: this.config.ROUTER_GROUP,
        topics: this.config.ROUTER_TOPICS,
        prisma: this.prisma,
        fromBeginning: true,
        handle: async (event, tx) => {
          const outcome = await router.route(event, tx);
          if (outcome.kind === 'routed') {
            if (outcome.unknown.length > 0)
              this.logger.warn(
                { event_id: event.id, ce_type: event.type, regions: outcome.unknown },
                'event names regions outside the region table: not routed there',
              );
            this.logger.debug(
              { event_id: event.id, ce_type: event.type, ...outcome },
              'event routed to regional streams',
            );
          }
        },
      },
    });
    this.relay = started.relay;
    this.consumer = started.consumer;
  }
}
