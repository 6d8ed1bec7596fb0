import { Injectable } from '@nestjs/common';
import { ServiceMessagingProvider, type ServiceMessagingPlan } from '@trellis/events';

import type { RouterConfig } from '../app/config';
import type { Prisma } from '../app/prisma';
import { RegionRouter } from '../app/routing/region-router';

/**
 * The router's Kafka side: an inbox consumer of the domain topics that writes each event's
 * regional copies to the outbox in the same transaction, and the outbox relay that publishes them
 * to `trellis.region.<region>.v1`. Started after Nest is up, stopped by the shutdown hooks.
 */
@Injectable()
export class RouterMessaging extends ServiceMessagingProvider<
  RouterConfig,
  Prisma.TransactionClient
> {
  protected plan(): ServiceMessagingPlan<Prisma.TransactionClient> {
    const router = new RegionRouter(this.config.TRELLIS_REGIONS);
    return {
      kafkaRequired: true,
      consumer: {
        name: 'domain-events-consumer',
        groupId: this.config.ROUTER_GROUP,
        topics: this.config.ROUTER_TOPICS,
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
    };
  }
}
