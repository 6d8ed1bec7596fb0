import { SystemStatusRegistry } from '@trellis/auth';
import type { Logger } from '@trellis/service-kit';

import type { NotificationEventRow, SubscriptionRow } from '../subscriptions/subscriptions.service';
import { DeliveryWorker } from './delivery-worker';
import type { DeliveryStore, StreamPosition } from './delivery.repository';
import type { EndpointPoster } from './endpoint-poster';
import { RegistrySubscriberAccess } from './subscriber-access';

const TOPIC = 'https://fhir.trellis.nhs.uk/SubscriptionTopic/referral-state-changed';

/** The subscriptions and their streams, in memory, as the repository's statements leave them. */
class MemoryStreams implements DeliveryStore {
  readonly subs = new Map<string, SubscriptionRow>();
  readonly events: NotificationEventRow[] = [];
  readonly restricted = new Set<string>();

  async purgeBefore(): Promise<void> {}
  async claim(): Promise<SubscriptionRow[]> {
    return [...this.subs.values()].filter(
      (s) => s.status !== 'off' && s.eventCount > s.deliveredThrough,
    );
  }
  async releaseLeases(): Promise<void> {}
  async pendingEvents(streams: readonly StreamPosition[], perTurn: number) {
    const out = new Map<string, NotificationEventRow[]>();
    for (const s of streams) {
      const next = this.events
        .filter((e) => e.subscriptionId === s.id && e.eventNumber > s.deliveredThrough)
        .slice(0, perTurn);
      if (next.length > 0) out.set(s.id, next);
    }
    return out;
  }
  async restrictedPatientsOf(events: readonly { patient: string }[]) {
    return new Set(events.map((e) => e.patient).filter((p) => this.restricted.has(p)));
  }
  async acknowledge(acked: ReadonlyMap<string, bigint>): Promise<void> {
    for (const [id, through] of acked) this.progress(id, through);
  }
  async saveProgress(id: string, through: bigint): Promise<void> {
    this.progress(id, through);
  }
  async turnOff(id: string, reason: string): Promise<void> {
    this.update(id, { status: 'off', lastError: reason });
  }
  async skipToEnd(id: string): Promise<void> {
    this.update(id, { deliveredThrough: this.subs.get(id)!.eventCount });
  }
  async heartbeatSent(): Promise<void> {}
  async attemptsOf(id: string): Promise<number | undefined> {
    return this.subs.get(id)?.attempts;
  }
  async failed(id: string, attempts: number, problem: string): Promise<void> {
    this.update(id, { attempts, status: 'error', lastError: problem });
  }

  private progress(id: string, through: bigint): void {
    const s = this.subs.get(id)!;
    if (s.deliveredThrough < through)
      this.update(id, { deliveredThrough: through, attempts: 0, status: 'active', lastError: '' });
  }
  private update(id: string, change: Partial<SubscriptionRow>): void {
    this.subs.set(id, { ...this.subs.get(id)!, ...change });
  }
}

function subscription(id: string, owner: string, events: number): SubscriptionRow {
  return {
    id,
    ownerSystemId: owner,
    ownerOdsCode: 'Y12345',
    topic: TOPIC,
    endpoint: `https://receiver.example/${id}`,
    payloadContent: 'id-only',
    headers: [],
    heartbeatSeconds: 0,
    timeoutSeconds: 10,
    patientNhsNumber: '',
    reason: '',
    status: 'active',
    eventCount: BigInt(events),
    deliveredThrough: 0n,
    attempts: 0,
    nextAttemptAt: new Date(0),
    leaseUntil: null,
    lastError: '',
    lastDeliveryAt: null,
    createdAt: new Date(0),
    deletedAt: null,
  };
}

function event(subscriptionId: string, n: number, patient: string): NotificationEventRow {
  return {
    subscriptionId,
    eventNumber: BigInt(n),
    notificationId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    sourceEventId: `e${n}`,
    sourceEventType: 'uk.nhs.trellis.referrals.ReferralSent.v1',
    focus: `ServiceRequest/r${n}`,
    patient,
    occurredAt: new Date('2026-12-07T21:00:00Z'),
    recordedAt: new Date('2026-12-07T21:00:00Z'),
  };
}

function worker(store: DeliveryStore, poster: EndpointPoster, ...scopes: string[]) {
  const registry = new SystemStatusRegistry();
  registry.apply({ systemId: 'gp-1', status: 'active', version: 1, allowedScopes: scopes });
  registry.apply({ systemId: 'gp-2', status: 'suspended', version: 1, allowedScopes: scopes });
  registry.markReady();
  const logger = { warn: () => undefined, error: () => undefined } as unknown as Logger;
  return new DeliveryWorker(
    store,
    { pollMs: 1_000, concurrency: 2, retryBaseMs: 1_000, retryMaxMs: 60_000, retentionMs: 1 },
    logger,
    new RegistrySubscriberAccess(registry),
    poster,
  );
}

/** The notification ids an endpoint received (the worker's bundle carries them as a header). */
function receiver(fail: (n: number) => boolean = () => false) {
  const received: string[] = [];
  const poster: EndpointPoster = async (_url, request) => {
    const id = request.headers['x-trellis-notification-id'] ?? '';
    received.push(id.slice(-2));
    return fail(received.length) ? 503 : 204;
  };
  return { received, poster };
}

describe('DeliveryWorker (in-memory streams)', () => {
  it('delivers each stream in order and acknowledges how far it got', async () => {
    const store = new MemoryStreams();
    store.subs.set('s1', subscription('s1', 'gp-1', 3));
    store.events.push(
      event('s1', 1, 'Patient/1'),
      event('s1', 2, 'Patient/2'),
      event('s1', 3, 'Patient/3'),
    );
    const { received, poster } = receiver();
    expect(await worker(store, poster, 'system/ServiceRequest.rs').runOnce()).toBe(1);
    expect(received).toEqual(['01', '02', '03']);
    expect(store.subs.get('s1')?.deliveredThrough).toBe(3n);
  });

  it("passes over a restricted patient's event unsent unless the subscriber may read restricted records", async () => {
    const store = new MemoryStreams();
    store.subs.set('s1', subscription('s1', 'gp-1', 2));
    store.events.push(event('s1', 1, 'Patient/9'), event('s1', 2, 'Patient/2'));
    store.restricted.add('Patient/9');
    const plain = receiver();
    await worker(store, plain.poster, 'system/ServiceRequest.rs').runOnce();
    expect(plain.received).toEqual(['02']);
    expect(store.subs.get('s1')?.deliveredThrough).toBe(2n);

    store.subs.set('s1', subscription('s1', 'gp-1', 2));
    const trusted = receiver();
    await worker(
      store,
      trusted.poster,
      'system/ServiceRequest.rs',
      'trellis/restricted.read',
    ).runOnce();
    expect(trusted.received).toEqual(['01', '02']);
  });

  it('a failed POST keeps the progress before it and counts the attempt; a suspended subscriber is turned off', async () => {
    const store = new MemoryStreams();
    store.subs.set('s1', subscription('s1', 'gp-1', 3));
    store.subs.set('s2', subscription('s2', 'gp-2', 1));
    store.events.push(
      event('s1', 1, 'Patient/1'),
      event('s1', 2, 'Patient/2'),
      event('s1', 3, 'Patient/3'),
    );
    store.events.push(event('s2', 1, 'Patient/1'));
    const { received, poster } = receiver((n) => n === 2);
    await worker(store, poster, 'system/ServiceRequest.rs').runOnce();
    expect(received).toEqual(['01', '02']); // nothing for s2, nothing after the failure
    expect(store.subs.get('s1')).toEqual(
      expect.objectContaining({
        deliveredThrough: 1n,
        attempts: 1,
        status: 'error',
        lastError: 'endpoint answered 503',
      }),
    );
    expect(store.subs.get('s2')).toEqual(
      expect.objectContaining({ status: 'off', deliveredThrough: 0n }),
    );
  });
});
