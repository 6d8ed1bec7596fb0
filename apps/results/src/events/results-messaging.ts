import { Injectable } from '@nestjs/common';
import { ServiceMessagingProvider, type ServiceMessagingPlan } from '@trellis/events';

import type { ResultsConfig } from '../app/config';

/** The service's Kafka side: the outbox relay publishing result and audit events. */
@Injectable()
export class ResultsMessaging extends ServiceMessagingProvider<ResultsConfig> {
  protected plan(): ServiceMessagingPlan {
    return {};
  }
}
