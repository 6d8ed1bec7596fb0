import { serviceModule } from '@trellis/auth';
import { type Outbox } from '@trellis/events';
import { CONFIG } from '@trellis/service-kit';

import { AuditMessaging } from '../events/audit-messaging';
import { AUDIT_SCOPES } from './access/scopes';
import { AuditService } from './audit/audit.service';
import { type AuditConfig } from './config';
import { AuditGrpcController } from './grpc/audit.grpc.controller';
import { PRISMA, PrismaClient } from './prisma';
import { AccessEventsRepository } from './store/access-events.repository';

export const OUTBOX = Symbol('audit.outbox');

/** The root module class the platform bootstrap takes; tests pass their seams as overrides. */
export const createAuditModule = serviceModule({
  service: 'audit',
  prisma: [PRISMA, PrismaClient],
  outbox: { token: OUTBOX, accessRecords: true },
  scopeTable: AUDIT_SCOPES,
  requireServiceIdentity: true,
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
});
