import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import {
  AUTH_STATUS_REGISTRY,
  SERVICE_IDENTITY,
  serviceAuthOptions,
  TrellisAuthModule,
  type ServiceIdentity,
  type SystemStatusRegistry,
  type TrellisAuthOptions,
} from '@trellis/auth';
import { createOutbox, type Outbox } from '@trellis/events';
import { PAYLOAD_CONTENTS } from '@trellis/fhir';
import { CONFIG, prismaClientProvider } from '@trellis/service-kit';

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

/** Seams for integration tests; production passes nothing. */
export interface NotificationsModuleOverrides {
  auth?: Partial<Pick<TrellisAuthOptions, 'keySet' | 'statusFeed' | 'issuer' | 'audience'>>;
}

/** PostgreSQL (schema `notifications`) and the outbox writer. */
@Global()
@Module({
  providers: [
    prismaClientProvider(PRISMA, PrismaClient),
    {
      provide: OUTBOX,
      useFactory: (): Outbox => createOutbox({ source: '/trellis/notifications' }),
    },
  ],
  exports: [PRISMA, OUTBOX],
})
export class NotificationsInfraModule {}

@Module({})
export class NotificationsModule {
  static register(overrides: NotificationsModuleOverrides = {}): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [
        NotificationsInfraModule,
        TrellisAuthModule.forRootAsync({
          inject: [CONFIG, PRISMA, OUTBOX],
          useFactory: (
            config: NotificationsConfig,
            prisma: PrismaClient,
            outbox: Outbox,
          ): TrellisAuthOptions =>
            serviceAuthOptions({
              service: 'notifications',
              config,
              scopeTable: NOTIFICATIONS_SCOPES,
              overrides: overrides.auth,
              requireServiceIdentity: true,
              statusTopic: config.NOTIFICATIONS_SYSTEM_TOPIC,
              audit: { db: prisma, outbox },
            }),
        }),
      ],
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
    };
  }
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function createNotificationsModule(
  overrides: NotificationsModuleOverrides = {},
): Type<unknown> {
  @Module({ imports: [NotificationsModule.register(overrides)] })
  class NotificationsRootModule {}
  return NotificationsRootModule;
}
