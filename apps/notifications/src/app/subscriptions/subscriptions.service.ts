import { randomUUID } from 'node:crypto';

import { scopeSatisfies, TRELLIS_SCOPES, type Caller } from '@trellis/auth';

import { restrictedPatientsOf } from '../delivery/delivery-worker';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { PrismaClient } from '../prisma';
import { validateSubscription, type SubscriptionInput } from './subscription-rules';

export type SubscriptionRow = Awaited<ReturnType<PrismaClient['subscription']['findFirstOrThrow']>>;
export type NotificationEventRow = Awaited<
  ReturnType<PrismaClient['notificationEvent']['findFirstOrThrow']>
>;

export interface SubscriptionsSettings {
  allowHttpEndpoints: boolean;
  maxPerSystem: number;
  /** The payload contents this deployment serves (full-resource needs the gateway's URL). */
  payloadContents?: readonly string[];
}

/** Most events one $events call returns. */
export const MAX_EVENTS_PER_PAGE = 500;

/**
 * Subscriptions of connected systems: each system creates, reads, lists and deletes only its own;
 * its stream is readable by event number range ($events).
 */
export class SubscriptionsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly settings: SubscriptionsSettings,
  ) {}

  async create(caller: Caller, input: SubscriptionInput): Promise<SubscriptionRow> {
    const valid = validateSubscription(
      input,
      caller,
      this.settings.allowHttpEndpoints,
      this.settings.payloadContents,
    );
    return this.prisma.$transaction(async (tx) => {
      // one system's creations serialise here, so the cap holds under concurrency
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`notifications.owner:${caller.systemId}`}, 0))`;
      const held = await tx.subscription.count({
        where: { ownerSystemId: caller.systemId, deletedAt: null },
      });
      if (held >= this.settings.maxPerSystem)
        throw new NotificationsError(
          NotificationsErrorCode.TooManySubscriptions,
          `A system may hold at most ${String(this.settings.maxPerSystem)} subscriptions; delete one first`,
        );
      return tx.subscription.create({
        data: {
          id: randomUUID(),
          ownerSystemId: caller.systemId,
          ownerOdsCode: caller.odsCode,
          topic: valid.topic.url,
          endpoint: valid.endpoint,
          payloadContent: valid.payloadContent,
          headers: valid.headers,
          heartbeatSeconds: valid.heartbeatSeconds,
          timeoutSeconds: valid.timeoutSeconds,
          patientNhsNumber: valid.patientNhsNumber,
          reason: valid.reason,
          status: 'active',
        },
      });
    });
  }

  async get(caller: Caller, id: string): Promise<SubscriptionRow> {
    const row = UUID.test(id)
      ? await this.prisma.subscription.findFirst({
          where: { id, ownerSystemId: caller.systemId, deletedAt: null },
        })
      : null;
    if (!row)
      throw new NotificationsError(
        NotificationsErrorCode.SubscriptionNotFound,
        `Subscription ${id.slice(0, 64)} not found`,
      );
    return row;
  }

  list(caller: Caller, filter: { topic: string; status: string }): Promise<SubscriptionRow[]> {
    return this.prisma.subscription.findMany({
      where: {
        ownerSystemId: caller.systemId,
        deletedAt: null,
        ...(filter.topic ? { topic: filter.topic } : {}),
        ...(filter.status ? { status: filter.status } : {}),
      },
      orderBy: { createdAt: 'asc' },
      take: 500,
    });
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const row = await this.get(caller, id);
    await this.prisma.subscription.update({
      where: { id: row.id },
      data: { deletedAt: new Date(), status: 'off' },
    });
  }

  /** Events `since`..`until` (inclusive; 0 = open), oldest first, at most MAX_EVENTS_PER_PAGE. */
  async events(
    caller: Caller,
    id: string,
    since: bigint,
    until: bigint,
  ): Promise<{ subscription: SubscriptionRow; events: NotificationEventRow[] }> {
    if (since < 0n || until < 0n || (until > 0n && since > until))
      throw NotificationsError.invalid([
        {
          field: 'since_number',
          rule: 'subscription.events-range',
          message: 'eventsSinceNumber and eventsUntilNumber must be ≥ 1 and since ≤ until',
        },
      ]);
    const subscription = await this.get(caller, id);
    const events = await this.prisma.notificationEvent.findMany({
      where: {
        subscriptionId: subscription.id,
        eventNumber: { gte: since > 0n ? since : 1n, ...(until > 0n ? { lte: until } : {}) },
      },
      orderBy: { eventNumber: 'asc' },
      take: MAX_EVENTS_PER_PAGE,
    });
    // restricted patients' events are not shown to a caller that may not read restricted records
    if (scopeSatisfies(caller.scopes, TRELLIS_SCOPES.restrictedRead))
      return { subscription, events };
    const withheld = await restrictedPatientsOf(this.prisma, events);
    return { subscription, events: events.filter((e) => !withheld.has(e.patient)) };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
