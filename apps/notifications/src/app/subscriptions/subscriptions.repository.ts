import { PrismaRepository } from '@trellis/database';

import { restrictedPatientsOf } from '../delivery/delivery.repository';
import type { Prisma, PrismaClient } from '../prisma';

export type SubscriptionRow = Awaited<ReturnType<PrismaClient['subscription']['findFirstOrThrow']>>;
export type NotificationEventRow = Awaited<
  ReturnType<PrismaClient['notificationEvent']['findFirstOrThrow']>
>;
export type NewSubscription = Omit<
  Prisma.SubscriptionUncheckedCreateInput,
  'createdAt' | 'updatedAt' | 'deletedAt'
>;

/** The only place the subscriptions service talks to PostgreSQL. */
export class SubscriptionsRepository extends PrismaRepository<PrismaClient> {
  /** One system's creations take turns (held until the transaction ends). */
  async lockOwner(systemId: string): Promise<void> {
    await this.db
      .$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`notifications.owner:${systemId}`}, 0))`;
  }

  countHeld(systemId: string): Promise<number> {
    return this.db.subscription.count({ where: { ownerSystemId: systemId, deletedAt: null } });
  }

  insert(data: NewSubscription): Promise<SubscriptionRow> {
    return this.db.subscription.create({ data });
  }

  findOwned(systemId: string, id: string): Promise<SubscriptionRow | null> {
    return this.db.subscription.findFirst({
      where: { id, ownerSystemId: systemId, deletedAt: null },
    });
  }

  listOwned(
    systemId: string,
    filter: { topic: string; status: string },
  ): Promise<SubscriptionRow[]> {
    return this.db.subscription.findMany({
      where: {
        ownerSystemId: systemId,
        deletedAt: null,
        ...(filter.topic ? { topic: filter.topic } : {}),
        ...(filter.status ? { status: filter.status } : {}),
      },
      orderBy: { createdAt: 'asc' },
      take: 500,
    });
  }

  async softDelete(id: string, at: Date): Promise<void> {
    await this.db.subscription.update({ where: { id }, data: { deletedAt: at, status: 'off' } });
  }

  /** Events `from`..`until` (inclusive; until 0 = open) of one stream, oldest first. */
  events(
    subscriptionId: string,
    from: bigint,
    until: bigint,
    take: number,
  ): Promise<NotificationEventRow[]> {
    return this.db.notificationEvent.findMany({
      where: { subscriptionId, eventNumber: { gte: from, ...(until > 0n ? { lte: until } : {}) } },
      orderBy: { eventNumber: 'asc' },
      take,
    });
  }

  /** The patients among these events whose records are restricted now. */
  restrictedPatientsOf(events: readonly { patient: string }[]): Promise<Set<string>> {
    return restrictedPatientsOf(this.db, events);
  }
}
