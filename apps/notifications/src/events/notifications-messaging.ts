import { Inject, Injectable } from '@nestjs/common';
import { AUTH_STATUS_REGISTRY, type SystemStatusRegistry } from '@trellis/auth';
import { ServiceMessagingProvider, type ServiceMessagingPlan } from '@trellis/events';
import { ShutdownOrder } from '@trellis/service-kit';

import { type NotificationsConfig } from '../app/config';
import { DeliveryWorker } from '../app/delivery/delivery-worker';
import { DeliveryRepository } from '../app/delivery/delivery.repository';
import { keepAlivePoster } from '../app/delivery/endpoint-poster';
import { FOCUS_READER, SUBSCRIBER_ACCESS } from '../app/delivery/event-foci';
import type { FocusReader } from '../app/delivery/focus-reader';
import type { SubscriberAccess } from '../app/delivery/subscriber-access';
import { pgListenConnection, WakeListener } from '../app/delivery/wake-listener';
import { PRISMA, type Prisma, type PrismaClient } from '../app/prisma';
import { recordEvent } from './stream-recorder';

/** How long the worker polls alone after its wake-up listener lost the database. */
const WAKE_RECONNECT_MS = 5_000;

/**
 * The service's Kafka side and its delivery: the inbox consumer of the domain topics (each event
 * appended to the streams of the subscriptions it concerns, in the inbox transaction), the outbox
 * relay (this service's own access audit) and the delivery worker (stopped before the consumers),
 * woken by the recorder's NOTIFY on commit (WakeListener) and polling as the fallback.
 */
@Injectable()
export class NotificationsMessaging extends ServiceMessagingProvider<
  NotificationsConfig,
  Prisma.TransactionClient
> {
  worker?: DeliveryWorker;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(AUTH_STATUS_REGISTRY) private readonly systems: SystemStatusRegistry,
    @Inject(SUBSCRIBER_ACCESS) private readonly access: SubscriberAccess,
    @Inject(FOCUS_READER) private readonly reader: FocusReader | null,
  ) {
    super();
  }

  protected plan(): ServiceMessagingPlan<Prisma.TransactionClient> {
    return {
      config: this.config,
      kafkaRequired: true,
      consumer: {
        name: 'notifications-consumer',
        groupId: this.config.NOTIFICATIONS_GROUP,
        topics: this.config.NOTIFICATIONS_TOPICS,
        prisma: this.prisma,
        fromBeginning: this.config.NOTIFICATIONS_FROM_BEGINNING,
        handle: async (event, tx) => {
          // who may hear of restricted patients comes from the registry feed: wait for its
          // replay at boot (after that, a restricted event is withheld from everyone unknown)
          if (!this.systems.ready) await this.systems.whenReady(60_000);
          await recordEvent(event, tx, this.access);
        },
      },
    };
  }

  protected override started(): void {
    if (!this.config.NOTIFICATIONS_DELIVERY_ENABLED) return;
    const worker = new DeliveryWorker(
      new DeliveryRepository(this.prisma),
      {
        pollMs: this.config.NOTIFICATIONS_POLL_MS,
        concurrency: this.config.NOTIFICATIONS_CONCURRENCY,
        retryBaseMs: this.config.NOTIFICATIONS_RETRY_BASE_MS,
        retryMaxMs: this.config.NOTIFICATIONS_RETRY_MAX_MS,
        retentionMs: this.config.NOTIFICATIONS_RETENTION_MS,
        ...(this.config.NOTIFICATIONS_FHIR_BASE_URL
          ? { fhirBaseUrl: this.config.NOTIFICATIONS_FHIR_BASE_URL }
          : {}),
      },
      this.logger,
      this.access,
      keepAlivePoster(),
      this.reader ?? undefined,
    );
    worker.start();
    this.worker = worker;
    const listener = this.config.NOTIFICATIONS_WAKE_ON_RECORD
      ? new WakeListener({
          schema: this.config.DATABASE_SCHEMA,
          connection: pgListenConnection(this.config.DATABASE_URL, this.config.DATABASE_SCHEMA),
          reconnectMs: WAKE_RECONNECT_MS,
          logger: this.logger,
        })
      : undefined;
    listener?.start(() => worker.wake());
    this.hooks.register(
      'notifications-delivery',
      async () => {
        await listener?.stop();
        await worker.stop();
      },
      ShutdownOrder.FLUSH,
    );
  }
}
