import { randomUUID } from 'node:crypto';

import { scopeSatisfies, TRELLIS_SCOPES, type Caller } from '@trellis/auth';

import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { validateSubscription, type SubscriptionInput } from './subscription-rules';
import type {
  NotificationEventRow,
  SubscriptionRow,
  SubscriptionsRepository,
} from './subscriptions.repository';

export type { NotificationEventRow, SubscriptionRow } from './subscriptions.repository';

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
    private readonly repo: SubscriptionsRepository,
    private readonly settings: SubscriptionsSettings,
  ) {}

  async create(caller: Caller, input: SubscriptionInput): Promise<SubscriptionRow> {
    const valid = validateSubscription(
      input,
      caller,
      this.settings.allowHttpEndpoints,
      this.settings.payloadContents,
    );
    return this.repo.inTransaction(async (repo) => {
      // one system's creations serialise here, so the cap holds under concurrency
      await repo.lockOwner(caller.systemId);
      const held = await repo.countHeld(caller.systemId);
      if (held >= this.settings.maxPerSystem)
        throw new NotificationsError(
          NotificationsErrorCode.TooManySubscriptions,
          `A system may hold at most ${String(this.settings.maxPerSystem)} subscriptions; delete one first`,
        );
      return repo.insert({
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
      });
    });
  }

  async get(caller: Caller, id: string): Promise<SubscriptionRow> {
    const row = UUID.test(id) ? await this.repo.findOwned(caller.systemId, id) : null;
    if (!row)
      throw new NotificationsError(
        NotificationsErrorCode.SubscriptionNotFound,
        `Subscription ${id.slice(0, 64)} not found`,
      );
    return row;
  }

  list(caller: Caller, filter: { topic: string; status: string }): Promise<SubscriptionRow[]> {
    return this.repo.listOwned(caller.systemId, filter);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const row = await this.get(caller, id);
    await this.repo.softDelete(row.id, new Date());
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
    const events = await this.repo.events(
      subscription.id,
      since > 0n ? since : 1n,
      until,
      MAX_EVENTS_PER_PAGE,
    );
    // restricted patients' events are not shown to a caller that may not read restricted records
    if (scopeSatisfies(caller.scopes, TRELLIS_SCOPES.restrictedRead))
      return { subscription, events };
    const withheld = await this.repo.restrictedPatientsOf(events);
    return { subscription, events: events.filter((e) => !withheld.has(e.patient)) };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
