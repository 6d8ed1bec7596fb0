import type { PrismaClient } from '../prisma';
import type {
  NotificationEventRow,
  SubscriptionRow,
} from '../subscriptions/subscriptions.repository';

/** The `Patient/<nhs>` of the events whose patient's record identity now says is restricted. */
export async function restrictedPatientsOf(
  prisma: Pick<PrismaClient, '$queryRaw'>,
  events: readonly { patient: string }[],
): Promise<Set<string>> {
  const numbers = [...new Set(events.map((e) => e.patient.replace(/^Patient\//, '')))];
  if (numbers.length === 0) return new Set();
  const rows = await prisma.$queryRaw<Array<{ nhs: string }>>`
    SELECT nhs_number AS nhs FROM restricted_patients
    WHERE restricted AND nhs_number = ANY(${numbers}::text[])`;
  return new Set(rows.map((r) => `Patient/${r.nhs}`));
}

/** A subscription's progress: its stream's next event after `deliveredThrough`. */
export type StreamPosition = Pick<SubscriptionRow, 'id' | 'deliveredThrough'>;

/** What the delivery worker reads and writes (DeliveryRepository; in memory in unit tests). */
export interface DeliveryStore {
  /** Removes recorded events and parked practice changes older than `horizon`. */
  purgeBefore(horizon: Date): Promise<void>;
  /** Leases up to `limit` due subscriptions until `leaseUntil` (skipping those leased elsewhere). */
  claim(leaseUntil: Date, limit: number): Promise<SubscriptionRow[]>;
  releaseLeases(ids: readonly string[]): Promise<void>;
  /**
   * The next events (up to `perTurn`) of each stream, in one query; a stream whose next numbers
   * retention removed is read on its own from where it stands.
   */
  pendingEvents(
    streams: readonly StreamPosition[],
    perTurn: number,
  ): Promise<Map<string, NotificationEventRow[]>>;
  restrictedPatientsOf(events: readonly { patient: string }[]): Promise<Set<string>>;
  /** The round's progress, one statement for every subscription that made some. */
  acknowledge(acked: ReadonlyMap<string, bigint>): Promise<void>;
  /** One subscription's progress mid-turn, renewing its lease. */
  saveProgress(id: string, through: bigint, leaseUntil: Date): Promise<void>;
  turnOff(id: string, reason: string): Promise<void>;
  /** The undelivered events are gone: the stream moves on to its last event. */
  skipToEnd(id: string): Promise<void>;
  heartbeatSent(id: string): Promise<void>;
  /** The attempts recorded now (undefined: the subscription is gone). */
  attemptsOf(id: string): Promise<number | undefined>;
  failed(id: string, attempts: number, problem: string, nextAttemptAt: Date): Promise<void>;
}

/** The notification streams as the delivery worker works them (subscriptions + events). */
export class DeliveryRepository implements DeliveryStore {
  constructor(private readonly prisma: PrismaClient) {}

  async purgeBefore(horizon: Date): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM notification_events WHERE recorded_at < ${horizon}`;
    await this.prisma.$executeRaw`DELETE FROM awaiting_practice WHERE recorded_at < ${horizon}`;
  }

  async claim(leaseUntil: Date, limit: number): Promise<SubscriptionRow[]> {
    const ids = await this.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE subscriptions SET lease_until = ${leaseUntil}
      WHERE id IN (
        SELECT id FROM subscriptions
        WHERE deleted_at IS NULL AND status IN ('active', 'error')
          AND next_attempt_at <= now()
          AND (lease_until IS NULL OR lease_until < now())
          AND (event_count > delivered_through
               OR (heartbeat_seconds > 0
                   AND COALESCE(last_delivery_at, created_at)
                       < now() - heartbeat_seconds * interval '1 second'))
        ORDER BY next_attempt_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    if (ids.length === 0) return [];
    return this.prisma.subscription.findMany({ where: { id: { in: ids.map((r) => r.id) } } });
  }

  async releaseLeases(ids: readonly string[]): Promise<void> {
    await this.prisma.$executeRaw`
      WITH locked AS (SELECT id FROM subscriptions WHERE id = ANY(${ids}::uuid[])
                      ORDER BY id FOR UPDATE)
      UPDATE subscriptions s SET lease_until = NULL FROM locked WHERE s.id = locked.id`;
  }

  async pendingEvents(
    streams: readonly StreamPosition[],
    perTurn: number,
  ): Promise<Map<string, NotificationEventRow[]>> {
    const pending = new Map<string, NotificationEventRow[]>();
    if (streams.length === 0) return pending;
    const rows = await this.prisma.notificationEvent.findMany({
      where: {
        OR: streams.map((s) => ({
          subscriptionId: s.id,
          eventNumber: { gt: s.deliveredThrough, lte: s.deliveredThrough + BigInt(perTurn) },
        })),
      },
      orderBy: [{ subscriptionId: 'asc' }, { eventNumber: 'asc' }],
    });
    for (const row of rows) {
      const list = pending.get(row.subscriptionId);
      if (list) list.push(row);
      else pending.set(row.subscriptionId, [row]);
    }
    for (const s of streams)
      if (!pending.has(s.id)) {
        const later = await this.prisma.notificationEvent.findMany({
          where: { subscriptionId: s.id, eventNumber: { gt: s.deliveredThrough } },
          orderBy: { eventNumber: 'asc' },
          take: perTurn,
        });
        if (later.length > 0) pending.set(s.id, later);
      }
    return pending;
  }

  restrictedPatientsOf(events: readonly { patient: string }[]): Promise<Set<string>> {
    return restrictedPatientsOf(this.prisma, events);
  }

  async acknowledge(acked: ReadonlyMap<string, bigint>): Promise<void> {
    if (acked.size === 0) return;
    const ids = [...acked.keys()];
    const through = [...acked.values()].map(String);
    // rows locked in id order, as the recorder locks them: two multi-row writers cannot deadlock
    await this.prisma.$executeRaw`
      WITH p AS (SELECT * FROM unnest(${ids}::uuid[], ${through}::bigint[]) AS p(id, through)),
        locked AS (SELECT s.id FROM subscriptions s JOIN p ON p.id = s.id ORDER BY s.id FOR UPDATE)
      UPDATE subscriptions s SET delivered_through = p.through, attempts = 0, status = 'active',
        last_error = '', last_delivery_at = now(), next_attempt_at = now()
      FROM p, locked
      WHERE s.id = p.id AND locked.id = s.id AND s.delivered_through < p.through`;
  }

  async saveProgress(id: string, through: bigint, leaseUntil: Date): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE subscriptions SET delivered_through = ${through}, attempts = 0,
        status = 'active', last_error = '', last_delivery_at = now(), next_attempt_at = now(),
        lease_until = ${leaseUntil}
      WHERE id = ${id}::uuid AND delivered_through < ${through}`;
  }

  async turnOff(id: string, reason: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE subscriptions SET status = 'off', last_error = ${reason.slice(0, 500)}
      WHERE id = ${id}::uuid`;
  }

  async skipToEnd(id: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE subscriptions SET delivered_through = event_count WHERE id = ${id}::uuid`;
  }

  async heartbeatSent(id: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE subscriptions SET last_delivery_at = now(), status = 'active', attempts = 0,
        last_error = '' WHERE id = ${id}::uuid`;
  }

  async attemptsOf(id: string): Promise<number | undefined> {
    const fresh = await this.prisma.subscription.findUnique({ where: { id } });
    return fresh?.attempts;
  }

  async failed(id: string, attempts: number, problem: string, nextAttemptAt: Date): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE subscriptions SET attempts = ${attempts}, status = 'error', last_error = ${problem.slice(0, 500)},
        next_attempt_at = ${nextAttemptAt}
      WHERE id = ${id}::uuid`;
  }
}
