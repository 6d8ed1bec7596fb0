import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { startServiceMessaging, type OutboxRelay } from '@trellis/events';
import { CONFIG, HealthRegistry, ShutdownHooks } from '@trellis/platform';

import type { ResultsConfig } from '../app/config';

/** The service's Kafka side: the outbox relay publishing result and audit events. */
@Injectable()
export class ResultsMessaging implements OnApplicationBootstrap {
  relay?: OutboxRelay;

  constructor(
    @Inject(CONFIG) private readonly config: ResultsConfig,
    private readonly hooks: ShutdownHooks,
    private readonly health: HealthRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { relay } = await startServiceMessaging({
      config: this.config,
      hooks: this.hooks,
      health: this.health,
    });
    this.relay = relay;
  }
}
