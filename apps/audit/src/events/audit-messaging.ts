import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ServiceMessagingProvider, type ServiceMessagingPlan } from '@trellis/events';

import type { AuditConfig } from '../app/config';
import { PRISMA, type Prisma, type PrismaClient } from '../app/prisma';
import { AccessEventsRepository } from '../app/store/access-events.repository';
import { purgeInbox } from '../app/store/inbox-retention';
import { MaintenanceRepository } from '../app/store/maintenance.repository';
import { AccessIngest } from '../app/store/ingest';
import { maintainPartitions, type RetentionPolicy } from '../app/store/partitions';

/**
 * The audit store's Kafka side: partitions made ready for the retention window first, then the
 * inbox consumer of trellis.audit.access.v1 (batch inserts) and the outbox relay (flag events and
 * the store's own access audit). Partition maintenance (and the inbox purge) repeats on a timer.
 */
@Injectable()
export class AuditMessaging
  extends ServiceMessagingProvider<AuditConfig, Prisma.TransactionClient>
  implements OnApplicationShutdown
{
  ingest?: AccessIngest;
  private timer?: NodeJS.Timeout;
  private readonly maintenance: MaintenanceRepository;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly repository: AccessEventsRepository,
  ) {
    super();
    this.maintenance = new MaintenanceRepository(prisma);
  }

  protected async plan(): Promise<ServiceMessagingPlan<Prisma.TransactionClient>> {
    const policy: RetentionPolicy = {
      retentionMonths: this.config.AUDIT_RETENTION_MONTHS,
      ahead: this.config.AUDIT_PARTITIONS_AHEAD,
    };
    await this.maintain(policy);
    this.timer = setInterval(() => {
      this.maintain(policy).catch((error: unknown) =>
        this.logger.error({ err: error }, 'audit partition maintenance failed'),
      );
    }, this.config.AUDIT_MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
    const ingest = new AccessIngest(this.repository, policy);
    this.ingest = ingest;
    return {
      config: this.config,
      kafkaRequired: true,
      consumer: {
        name: 'audit-access-consumer',
        groupId: this.config.AUDIT_GROUP,
        topics: this.config.AUDIT_TOPICS,
        prisma: this.prisma,
        fromBeginning: this.config.AUDIT_FROM_BEGINNING,
        handleBatch: ingest.handleBatch,
        maxBatchSize: this.config.AUDIT_INGEST_BATCH_SIZE,
        concurrency: this.config.AUDIT_INGEST_CONCURRENCY,
      },
    };
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async maintain(policy: RetentionPolicy): Promise<void> {
    const now = new Date();
    const result = await maintainPartitions(this.maintenance, policy, now);
    if (result.created.length || result.dropped.length)
      this.logger.info(result, 'audit partitions: created ahead / dropped past retention');
    const hours = this.config.AUDIT_INBOX_RETENTION_HOURS;
    if (hours > 0) {
      const before = new Date(now.getTime() - hours * 3_600_000);
      const purged = await purgeInbox(this.maintenance, this.config.AUDIT_GROUP, before);
      if (purged) this.logger.info({ purged, before }, 'audit inbox: handled event ids purged');
    }
  }
}
