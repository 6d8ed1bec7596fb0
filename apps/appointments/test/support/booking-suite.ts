// The appointments service-level suites (scheduling, booking, lists): real services on a fresh
// schema, a gRPC identity test server that knows a few patients, and the helpers they share.
import { IdentityTestServer } from '@trellis/identity-client/src/testing';

import type { ScheduleRow, SlotRow } from '../../src/app/prisma';
import {
  actor,
  at,
  createTestDatabase,
  TestClock,
  testNhsNumber,
  type TestDatabase,
} from './harness';
import { createServices, type Services } from './services';

// Providers (schedule owners) and bookers, with the demo ODS codes' shapes.
export const TRUST = actor('RTH', 'south-east');
export const OTHER_TRUST = actor('RXA', 'north-east');
export const GP = actor('A81001', 'north-east');
export const OTHER_GP = actor('B82001', 'london');
export const PHARMACY = actor('FA123', 'london');

export interface BookingSuite {
  readonly db: TestDatabase;
  readonly identity: IdentityTestServer;
  readonly clock: TestClock;
  readonly s: Services;
  /** Patients the identity test server knows: alive, deceased, merged into `survivor`. */
  readonly alive: string;
  readonly alive2: string;
  readonly dead: string;
  readonly merged: string;
  readonly survivor: string;
  /** A valid NHS number identity does not know. */
  readonly unknown: string;
  schedule(
    owner?: typeof TRUST,
    extra?: Partial<Parameters<Services['scheduling']['createSchedule']>[1]>,
  ): Promise<ScheduleRow>;
  slots(
    sch: ScheduleRow,
    owner: typeof TRUST,
    day: number,
    count: number,
    minutes?: number,
    startHour?: number,
  ): Promise<SlotRow[]>;
  /** A fresh idempotency key. */
  key(): string;
  /** The event types written to the outbox for an appointment, short names, in order. */
  outboxTypes(appointmentId: string): Promise<string[]>;
  slotStatus(id: string): Promise<string>;
}

/** Registers the suite's beforeAll/afterAll and returns its state (read it inside tests). */
export function useBookingSuite(): BookingSuite {
  let db: TestDatabase;
  let identity: IdentityTestServer;
  let clock: TestClock;
  let s: Services;

  const alive = testNhsNumber();
  const alive2 = testNhsNumber();
  const dead = testNhsNumber();
  const merged = testNhsNumber();
  const survivor = testNhsNumber();
  const unknown = testNhsNumber();

  beforeAll(async () => {
    db = await createTestDatabase(30);
    identity = new IdentityTestServer();
    identity.add(
      { nhsNumber: alive },
      { nhsNumber: alive2 },
      { nhsNumber: dead, deceasedAt: new Date('2026-01-01T00:00:00Z') },
      { nhsNumber: survivor },
      { nhsNumber: merged, mergedInto: survivor },
    );
    await identity.start();
    clock = new TestClock(new Date());
    s = createServices(db, clock, identity.address);
  });

  afterAll(async () => {
    s?.identity.close();
    await identity?.stop();
    await db?.drop();
  });

  async function schedule(
    owner = TRUST,
    extra: Partial<Parameters<Services['scheduling']['createSchedule']>[1]> = {},
  ): Promise<ScheduleRow> {
    return s.scheduling.createSchedule(owner, {
      serviceType: 'cardiology-opd',
      specialty: 'cardiology',
      ...extra,
    });
  }

  async function slots(
    sch: ScheduleRow,
    owner: typeof TRUST,
    day: number,
    count: number,
    minutes = 15,
    startHour = 9,
  ): Promise<SlotRow[]> {
    const base = at(day, startHour);
    return s.scheduling.publishSlots(
      owner,
      sch.id,
      Array.from({ length: count }, (_, i) => ({
        start: new Date(base.getTime() + i * minutes * 60_000),
        end: new Date(base.getTime() + (i + 1) * minutes * 60_000),
      })),
    );
  }

  let keyN = 0;
  const key = () => `key-${Date.now()}-${++keyN}`;

  async function outboxTypes(appointmentId: string): Promise<string[]> {
    const r = await db.sql.query<{ ce_type: string }>(
      'SELECT ce_type FROM outbox_events WHERE ce_subject = $1 ORDER BY seq',
      [appointmentId],
    );
    return r.rows.map((x) =>
      x.ce_type.replace('uk.nhs.trellis.appointments.', '').replace('.v1', ''),
    );
  }

  async function slotStatus(id: string): Promise<string> {
    const r = await db.sql.query<{ status: string }>(
      'SELECT status::text FROM slots WHERE id = $1',
      [id],
    );
    return r.rows[0]!.status;
  }

  return {
    get db() {
      return db;
    },
    get identity() {
      return identity;
    },
    get clock() {
      return clock;
    },
    get s() {
      return s;
    },
    alive,
    alive2,
    dead,
    merged,
    survivor,
    unknown,
    schedule,
    slots,
    key,
    outboxTypes,
    slotStatus,
  };
}
