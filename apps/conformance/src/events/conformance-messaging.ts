import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { startServiceMessaging, type InboxConsumer, type OutboxRelay } from '@trellis/events';
import { CONFIG, HealthRegistry, ShutdownHooks } from '@trellis/platform';

import { addCounters, deltasOfEvents } from '../app/counting/counter-writer';
import type { ConformanceConfig } from '../app/config';
import { PRISMA, type PrismaClient } from '../app/prisma';

/**
 * The conformance service's Kafka side: one inbox consumer of the access-audit and
 * conformance-violation streams, from the beginning, that turns each run of events into one
 * counter UPSERT in the transaction that records them in the inbox; and the outbox relay (policy
 * events). Started after Nest is up, stopped by the shutdown hooks.
 */
@Injectable()
export class ConformanceMessaging implements OnApplicationBootstrap {
  relay?: OutboxRelay;
  consumer?: InboxConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: ConformanceConfig,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly hooks: ShutdownHooks,
    private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const chokepoint = this.config.CONFORMANCE_CHOKEPOINT_SERVICE;
    const started = await startServiceMessaging({
      config: this.config,
      hooks: this.hooks,
      health: this.health,
      kafkaRequired: true,
      consumer: {
        name: 'conformance-consumer',
        groupId: this.config.CONFORMANCE_GROUP,
        topics: [...this.config.CONFORMANCE_ACCESS_TOPIC, this.config.CONFORMANCE_VIOLATION_TOPIC],
        prisma: this.prisma,
        fromBeginning: true,
        maxBatchSize: this.config.CONFORMANCE_BATCH_SIZE,
        concurrency: this.config.CONFORMANCE_CONCURRENCY,
        handleBatch: async (batch, tx) => {
          await addCounters(tx, deltasOfEvents(batch, chokepoint));
        },
      },
    });
    this.relay = started.relay;
    this.consumer = started.consumer;
  }
}
