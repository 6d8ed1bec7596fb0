import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { serviceAuthOptions, TrellisAuthModule, type TrellisAuthOptions } from '@trellis/auth';
import { serviceInfraModule, type Outbox } from '@trellis/events';
import { CONFIG } from '@trellis/service-kit';

import { AuditMessaging } from '../events/audit-messaging';
import { AUDIT_SCOPES } from './access/scopes';
import { AuditService } from './audit/audit.service';
import { type AuditConfig } from './config';
import { AuditGrpcController } from './grpc/audit.grpc.controller';
import { PRISMA, PrismaClient } from './prisma';
import { AccessEventsRepository } from './store/access-events.repository';

export const OUTBOX = Symbol('audit.outbox');

/** Seams for integration tests; production passes nothing. */
export interface AuditModuleOverrides {
  auth?: Partial<Pick<TrellisAuthOptions, 'keySet' | 'statusFeed' | 'issuer' | 'audience'>>;
}

@Module({})
export class AuditModule {
  static register(overrides: AuditModuleOverrides = {}): DynamicModule {
    return {
      module: AuditModule,
      imports: [
        serviceInfraModule({ service: 'audit', prisma: [PRISMA, PrismaClient], outbox: OUTBOX }),
        TrellisAuthModule.forRootAsync({
          inject: [CONFIG, PRISMA, OUTBOX],
          useFactory: (
            config: AuditConfig,
            prisma: PrismaClient,
            outbox: Outbox,
          ): TrellisAuthOptions =>
            serviceAuthOptions({
              service: 'audit',
              config,
              scopeTable: AUDIT_SCOPES,
              overrides: overrides.auth,
              requireServiceIdentity: true,
              audit: { db: prisma, outbox },
            }),
        }),
      ],
      controllers: [AuditGrpcController],
      providers: [
        {
          provide: AccessEventsRepository,
          inject: [PRISMA],
          useFactory: (prisma: PrismaClient) => new AccessEventsRepository(prisma),
        },
        {
          provide: AuditService,
          inject: [AccessEventsRepository, OUTBOX, CONFIG],
          useFactory: (repo: AccessEventsRepository, outbox: Outbox, config: AuditConfig) =>
            new AuditService(repo, outbox, {
              flag: config.AUDIT_FLAG_TOPIC,
              region: (region) => config.AUDIT_REGION_TOPIC_TEMPLATE.replace('{region}', region),
            }),
        },
        AuditMessaging,
      ],
    };
  }
}

/** The root module class the platform bootstrap takes (it wants a class, not a DynamicModule). */
export function createAuditModule(overrides: AuditModuleOverrides = {}): Type<unknown> {
  @Module({ imports: [AuditModule.register(overrides)] })
  class AuditRootModule {}
  return AuditRootModule;
}
