import { PoisonMessageError, type ReceivedEvent } from '@trellis/events';

import { AccessRecorded } from '../../events/audit-event-types';
import type { Prisma } from '../prisma';
import { accessRowsOf, type AccessRow } from './access-row';
import type { AccessEventsRepository } from './access-events.repository';
import { retentionWindow } from './months';
import type { RetentionPolicy } from './partitions';

export interface IngestStats {
  stored: number;
  expired: number;
  skipped: number;
}

/**
 * The inbox consumer's batch handler: decodes the AccessRecorded events of one batch transaction
 * and stores them with one multi-row INSERT. Events older than the retention are not stored (their
 * partition is gone or about to go); an event beyond the partitions created ahead is poison
 * (a producer clock years off), so it is dead-lettered instead of blocking its partition.
 */
export class AccessIngest {
  readonly stats: IngestStats = { stored: 0, expired: 0, skipped: 0 };

  constructor(
    private readonly repository: AccessEventsRepository,
    private readonly policy: RetentionPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  readonly handleBatch = async (
    batch: readonly ReceivedEvent[],
    tx: Prisma.TransactionClient,
  ): Promise<void> => {
    const { cutoff, horizon } = retentionWindow(
      this.now(),
      this.policy.retentionMonths,
      this.policy.ahead,
    );
    const rows: AccessRow[] = [];
    for (const event of batch) {
      if (!AccessRecorded.is(event)) {
        this.stats.skipped += 1;
        continue;
      }
      const { row, more } = accessRowsOf(AccessRecorded.decode(event.data));
      if (row.recordedAt < cutoff) {
        this.stats.expired += 1;
        continue;
      }
      if (row.recordedAt >= horizon)
        throw new PoisonMessageError(
          `recorded_at ${row.recordedAt.toISOString()} is beyond the partitions created ahead`,
        );
      rows.push(row, ...more);
    }
    await this.repository.joining(tx).insertBatch(rows);
    this.stats.stored += rows.length;
  };
}
