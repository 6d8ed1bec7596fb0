import type { KafkaConfig } from './config';
import type { EventsLogger } from './logger';
import { createPlatformaticEventBus } from './platformatic/platformatic-event-bus';
import type { EventBus } from './port';

export interface EventBusOptions {
  logger?: EventsLogger;
}

/**
 * The platform's event bus for one cluster: the @platformatic/kafka adapter of the port (Kafka
 * 3.x and 4.x). Services, tools and tests create their bus here, never from a client directly,
 * so the client can change again without touching them (docs/events.md, "The Kafka client").
 */
export function createEventBus(config: KafkaConfig, options: EventBusOptions = {}): EventBus {
  return createPlatformaticEventBus(config, options);
}
