import { Injectable } from '@nestjs/common';
import { ServiceMessagingProvider, type ServiceMessagingPlan } from '@trellis/events';

import { deltasOfEvents } from '../app/counting/counter-writer';
import { addCounters } from '../app/counting/counters.repository';
import type { ConformanceConfig } from '../app/config';
import type { Prisma } from '../app/prisma';

/**
 * The conformance service's Kafka side: one inbox consumer of the access-audit and
 * conformance-violation streams, from the beginning, that turns each run of events into one
 * counter UPSERT in the transaction that records them in the inbox; and the outbox relay (policy
 * events). Started after Nest is up, stopped by the shutdown hooks.
 */
@Injectable()
export class ConformanceMessaging extends ServiceMessagingProvider<
  ConformanceConfig,
  Prisma.TransactionClient
> {
  protected plan(): ServiceMessagingPlan<Prisma.TransactionClient> {
    const chokepoint = this.config.CONFORMANCE_CHOKEPOINT_SERVICE;
    return {
      kafkaRequired: true,
      consumer: {
        name: 'conformance-consumer',
        groupId: this.config.CONFORMANCE_GROUP,
        topics: [...this.config.CONFORMANCE_ACCESS_TOPIC, this.config.CONFORMANCE_VIOLATION_TOPIC],
        fromBeginning: true,
        maxBatchSize: this.config.CONFORMANCE_BATCH_SIZE,
        concurrency: this.config.CONFORMANCE_CONCURRENCY,
        handleBatch: async (batch, tx) => {
          await addCounters(tx, deltasOfEvents(batch, chokepoint));
        },
      },
    };
  }
}
