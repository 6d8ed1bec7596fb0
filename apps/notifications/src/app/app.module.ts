import {
  AUTH_STATUS_REGISTRY,
  SERVICE_IDENTITY,
  type ServiceIdentity,
  serviceModule,
  type SystemStatusRegistry,
} from '@trellis/auth';
import { PAYLOAD_CONTENTS } from '@trellis/fhir';
import { CONFIG } from '@trellis/service-kit';

import { NotificationsMessaging } from '../events/notifications-messaging';
import { NOTIFICATIONS_SCOPES } from './access/scopes';
import { httpEndpointsAllowed, type NotificationsConfig } from './config';
import { FOCUS_READER, SUBSCRIBER_ACCESS } from './delivery/event-foci';
import { GatewayFocusReader } from './delivery/focus-reader';
import { RegistrySubscriberAccess } from './delivery/subscriber-access';
import { SubscriptionsGrpcController } from './grpc/subscriptions.grpc.controller';
import { PRISMA, PrismaClient } from './prisma';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository';
import { SubscriptionsService } from './subscriptions/subscriptions.service';

export const OUTBOX = Symbol('notifications.outbox');

/** The root module class the platform bootstrap takes; tests pass their seams as overrides. */
export const createNotificationsModule = serviceModule({
  service: 'notifications',
  // PostgreSQL (schema `notifications`) and the outbox writer
  prisma: [PRISMA, PrismaClient],
  outbox: { token: OUTBOX, accessRecords: true },
  scopeTable: NOTIFICATIONS_SCOPES,
  requireServiceIdentity: true,
  statusTopic: (config: NotificationsConfig) => config.NOTIFICATIONS_SYSTEM_TOPIC,
  controllers: [SubscriptionsGrpcController],
  providers: [
    {
      provide: SubscriptionsService,
      inject: [PRISMA, CONFIG],
      useFactory: (prisma: PrismaClient, config: NotificationsConfig) =>
        new SubscriptionsService(new SubscriptionsRepository(prisma), {
          allowHttpEndpoints: httpEndpointsAllowed(config),
          maxPerSystem: config.NOTIFICATIONS_MAX_PER_SYSTEM,
          // full-resource deliveries read the focus at the gateway's FHIR door
          payloadContents: config.GATEWAY_URL
            ? PAYLOAD_CONTENTS
            : PAYLOAD_CONTENTS.filter((c) => c !== 'full-resource'),
        }),
    },
    {
      provide: SUBSCRIBER_ACCESS,
      inject: [AUTH_STATUS_REGISTRY],
      useFactory: (systems: SystemStatusRegistry) => new RegistrySubscriberAccess(systems),
    },
    {
      provide: FOCUS_READER,
      inject: [CONFIG, SERVICE_IDENTITY],
      useFactory: (config: NotificationsConfig, identity: ServiceIdentity | null) =>
        config.GATEWAY_URL && identity
          ? new GatewayFocusReader(config.GATEWAY_URL, () => identity.token())
          : null,
    },
    NotificationsMessaging,
  ],
});
