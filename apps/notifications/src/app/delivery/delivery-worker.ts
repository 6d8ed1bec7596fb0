import { randomUUID } from 'node:crypto';

import type { Resource } from '@medplum/fhirtypes';
import { notificationBundle, type PayloadContent } from '@trellis/fhir';
import type { Logger } from '@trellis/service-kit';

import type { NotificationEventRow, SubscriptionRow } from '../subscriptions/subscriptions.service';
import { retryDelayMs } from './backoff';
import type { DeliveryStore } from './delivery.repository';
import { keepAlivePoster, type EndpointPoster } from './endpoint-poster';
import type { FocusReader } from './focus-reader';
import { RoundScheduler } from './round-scheduler';
import type { AccessVerdict, SubscriberAccess } from './subscriber-access';

export interface DeliverySettings {
  pollMs: number;
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  retentionMs: number;
  /** Absolute references in notifications (unset: relative). */
  fhirBaseUrl?: string;
  /** How long a claimed subscription stays leased to this worker (renewed per notification). */
  leaseMs?: number;
}

/** Events sent per subscription before the worker moves on to other subscriptions. */
const EVENTS_PER_TURN = 100;
/** How often a turn writes its acknowledged progress (and renews its lease). */
const PROGRESS_EVERY_MS = 2_000;

/**
 * Delivers each subscription's stream in event-number order, one notification per event, and
 * heartbeats when a subscription has been quiet for its heartbeat period. A subscription is leased
 * (lease_until) while one worker delivers it, so every replica may run a worker. A failed POST
 * leaves `delivered_through` where it was and retries that same event after a capped exponential
 * backoff, indefinitely: events leave only when the retention housekeeping removes them.
 * Before every notification (heartbeats too) the subscriber's standing is judged again
 * (SubscriberAccess): a suspended system, or one that lost the topic's read scope, is sent
 * nothing and its subscription goes `off` with the reason.
 */
export class DeliveryWorker {
  private readonly rounds: RoundScheduler;
  private stopped = false;
  private lastHousekeeping = 0;
  private readonly leaseMs: number;

  constructor(
    private readonly store: DeliveryStore,
    private readonly settings: DeliverySettings,
    private readonly logger: Logger,
    private readonly access: SubscriberAccess,
    private readonly poster: EndpointPoster = keepAlivePoster(),
    /** full-resource: reads the focus as the subscriber (unset: such deliveries wait, failing). */
    private readonly reader?: FocusReader,
  ) {
    this.leaseMs = settings.leaseMs ?? 120_000;
    this.rounds = new RoundScheduler(
      () => this.runOnce(),
      settings.pollMs,
      (err: unknown) => this.logger.error({ err }, 'notification delivery round failed'),
    );
  }

  start(): void {
    this.rounds.start();
  }

  /** Something was recorded (WakeListener): deliver now rather than at the next poll. */
  wake(): void {
    this.rounds.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.rounds.stop();
  }

  /**
   * One round: housekeeping when due, then every due subscription (bounded parallelism across
   * subscriptions, each subscription's events in order). The round's statements are batched: one
   * claim, one read of every claimed stream's next events, one restricted-patients check, one
   * progress write and one lease release, whatever the number of subscriptions; a turn writes
   * alone only on failure, refusal, heartbeat or when it outlasts PROGRESS_EVERY_MS.
   */
  async runOnce(now = new Date()): Promise<number> {
    if (now.getTime() - this.lastHousekeeping > 60_000) {
      this.lastHousekeeping = now.getTime();
      const horizon = new Date(now.getTime() - this.settings.retentionMs);
      await this.store.purgeBefore(horizon);
    }
    // until the registry's replay is complete nobody's standing is known: send nothing
    if (!this.access.ready) return 0;
    const due = await this.store.claim(
      new Date(Date.now() + this.leaseMs),
      this.settings.concurrency * 4,
    );
    if (due.length === 0) return 0;
    const acknowledged = new Map<string, bigint>();
    try {
      const pending = await this.store.pendingEvents(
        due.filter((s) => s.eventCount > s.deliveredThrough),
        EVENTS_PER_TURN,
      );
      // a patient whose record became restricted after the event was recorded: withheld
      const withheld = await this.store.restrictedPatientsOf([...pending.values()].flat());
      let next = 0;
      const lane = async () => {
        while (next < due.length && !this.stopped) {
          const sub = due[next++] as SubscriptionRow;
          await this.deliver(sub, pending.get(sub.id) ?? [], withheld)
            .then((acked) => {
              if (acked !== undefined) acknowledged.set(sub.id, acked);
            })
            .catch((err: unknown) =>
              this.logger.error({ err, subscription: sub.id }, 'subscription delivery failed'),
            );
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(this.settings.concurrency, due.length) }, lane),
      );
      await this.store.acknowledge(acknowledged);
    } finally {
      await this.store.releaseLeases(due.map((d) => d.id));
    }
    return due.length;
  }

  /**
   * One subscription's turn over its pending events, in order. Returns the progress acknowledged
   * and not yet written (the round writes it); failure and refusal paths write theirs first.
   */
  private async deliver(
    sub: SubscriptionRow,
    events: readonly NotificationEventRow[],
    withheld: ReadonlySet<string>,
  ): Promise<bigint | undefined> {
    if (events.length === 0) {
      if (sub.eventCount <= sub.deliveredThrough) {
        if (await this.permitted(sub)) await this.heartbeat(sub);
      } else await this.skipExpired(sub);
      return undefined;
    }
    // Acknowledged progress is written every PROGRESS_EVERY_MS (and at the end of the round),
    // renewing the lease: a crash in between re-sends those notifications with the same ids,
    // which receivers deduplicate (docs/subscriptions.md).
    let acked: bigint | undefined;
    let written = Date.now();
    const persist = async () => {
      if (acked === undefined) return;
      await this.store.saveProgress(sub.id, acked, new Date(Date.now() + this.leaseMs));
      acked = undefined;
      written = Date.now();
    };
    for (const event of events) {
      if (this.stopped) break;
      const verdict = this.access.verdict(sub);
      if (verdict.kind !== 'allowed') {
        await persist();
        await this.refused(sub, verdict);
        return undefined;
      }
      if (!verdict.mayReadRestricted && withheld.has(event.patient)) {
        acked = event.eventNumber; // passed over unsent: the receiver sees a gap in numbers
        continue;
      }
      let resource: Resource | undefined;
      if (sub.payloadContent === 'full-resource') {
        const read = await this.readFocus(sub, event.focus);
        if (read.kind === 'failed') {
          await persist();
          await this.failed(sub, read.problem);
          return undefined;
        }
        if (read.kind === 'resource') resource = read.resource;
      }
      const problem = await this.post(sub, randomUUID(), event, resource);
      if (problem) {
        await persist();
        await this.failed(sub, problem);
        return undefined;
      }
      acked = event.eventNumber;
      if (Date.now() - written >= PROGRESS_EVERY_MS) await persist();
    }
    return acked;
  }

  /** The focus as the subscriber's FHIR read returns it (its allowed read scopes). */
  private readFocus(sub: SubscriptionRow, focus: string): ReturnType<FocusReader['read']> {
    if (!this.reader)
      return Promise.resolve({
        kind: 'failed',
        problem: 'full-resource is not served by this deployment (no gateway URL)',
      });
    return this.reader.read(sub.ownerSystemId, this.access.readScopesOf(sub.ownerSystemId), focus);
  }

  /** Judges the subscriber's standing; when it may not be served, records why (nothing is sent). */
  private async permitted(sub: SubscriptionRow): Promise<boolean> {
    const verdict = this.access.verdict(sub);
    if (verdict.kind === 'allowed') return true;
    await this.refused(sub, verdict);
    return false;
  }

  private async refused(
    sub: SubscriptionRow,
    verdict: Exclude<AccessVerdict, { kind: 'allowed' }>,
  ) {
    if (verdict.kind === 'hold') {
      await this.failed(sub, verdict.reason);
      return;
    }
    this.logger.warn({ subscription: sub.id, reason: verdict.reason }, 'subscription turned off');
    await this.store.turnOff(sub.id, verdict.reason);
  }

  /** The undelivered events are gone (past retention): the stream moves on; receivers see the gap. */
  private async skipExpired(sub: SubscriptionRow): Promise<void> {
    this.logger.warn({ subscription: sub.id }, 'undelivered notifications expired past retention');
    await this.store.skipToEnd(sub.id);
  }

  private async heartbeat(sub: SubscriptionRow): Promise<void> {
    const problem = await this.post(sub, randomUUID());
    if (problem) await this.failed(sub, problem);
    else await this.store.heartbeatSent(sub.id);
  }

  private async failed(sub: SubscriptionRow, problem: string): Promise<void> {
    const attempts = ((await this.store.attemptsOf(sub.id)) ?? sub.attempts) + 1;
    const wait = retryDelayMs(attempts, this.settings.retryBaseMs, this.settings.retryMaxMs);
    await this.store.failed(sub.id, attempts, problem, new Date(Date.now() + wait));
  }

  /** POSTs one notification; undefined when the endpoint answered 2xx, else what went wrong. */
  private async post(
    sub: SubscriptionRow,
    heartbeatId: string,
    event?: NotificationEventRow,
    resource?: Resource,
  ): Promise<string | undefined> {
    const id = event?.notificationId ?? heartbeatId;
    const body = notificationBundle(
      id,
      {
        id: sub.id,
        topicUrl: sub.topic,
        status: 'active',
        eventsSinceSubscriptionStart: String(event ? event.eventNumber : sub.eventCount),
      },
      event ? 'event-notification' : 'heartbeat',
      event
        ? [
            {
              eventNumber: String(event.eventNumber),
              occurredAt: event.occurredAt,
              focus: event.focus,
              patient: event.patient,
              ...(resource ? { resource } : {}),
            },
          ]
        : [],
      sub.payloadContent as PayloadContent,
      new Date(),
      this.settings.fhirBaseUrl,
    );
    const headers: Record<string, string> = {
      'content-type': 'application/fhir+json',
      'x-trellis-notification-id': id,
    };
    for (const h of sub.headers) {
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    }
    try {
      const status = await this.poster(sub.endpoint, {
        headers,
        body: JSON.stringify(body),
        timeoutMs: sub.timeoutSeconds * 1000,
      });
      return status >= 200 && status < 300 ? undefined : `endpoint answered ${String(status)}`;
    } catch (err) {
      const cause =
        err instanceof Error
          ? err.cause instanceof Error
            ? err.cause.message
            : err.message
          : String(err);
      return `endpoint unreachable: ${cause}`;
    }
  }
}
