/**
 * Appointments benchmark (not a timed test), against the real PostgreSQL (and, in grpc mode, the
 * real service over gRPC with auth + audit) from .trellis/infra.env, on a fresh schema:
 *
 *   1. booking: `--clients` concurrent clients book random free slots among `--slots` slots until
 *      `--bookings` succeed (a lost race is retried on another slot, as a booking UI would).
 *      Reports bookings/s, p50/p95/p99 of successful calls, conflicts, and checks 0 double bookings.
 *      --mode service: BookingService in-process (PostgreSQL + outbox, identity over gRPC);
 *      --mode grpc:    the whole service (platform bootstrap, JWT guard, access audit) over gRPC.
 *   2. search: `--search-slots` slots (default 1,000,000) bulk-loaded over 400 schedules (50 orgs,
 *      8 regions, 20 service types, 120 days), ANALYZEd; then `--searches` free-slot searches
 *      (random service type + optional org or region, random 7-day window, page of 50) by
 *      `--search-clients` concurrent callers through SchedulingService; p50/p95/p99.
 *
 *   node -r @swc-node/register tools/bench/appointments/bench.ts [--mode service|grpc]
 *        [--clients 64] [--slots 20000] [--bookings 5000] [--search-slots 1000000]
 *        [--searches 2000] [--search-clients 8] [--skip-booking] [--skip-search] [--keep] [--json]
 * Goals (issue 4): ≥ 1,000 bookings/s; search p99 ≤ 30 ms.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

import { StaticSystemStatusFeed } from '@trellis/auth';
import { createTestAuthority } from '@trellis/auth/testing';
import { createPrismaClient } from '@trellis/database';
import { createOutbox } from '@trellis/events';
import { IdentityPatientDirectory } from '@trellis/identity-client';
import { IdentityTestServer } from '@trellis/identity-client/src/testing';
import { bootstrapService } from '@trellis/service-kit';
import { createTestSchema, freePort, loadInfraEnv } from '@trellis/testing';
import { Client } from 'pg';

import {
  appointmentsConfigSchema,
  AppointmentsErrorCode,
  BookingRepository,
  BookingService,
  createAppointmentsModule,
  OutboxAppointmentEventSink,
  patientDirectoryErrors,
  PrismaClient,
  SchedulingRepository,
  SchedulingService,
  systemClock,
} from '@trellis/appointments/src/public';
import { AppointmentsGrpcClient } from '@trellis/appointments/test/support/grpc-client';

const ROOT = resolve(__dirname, '..', '..', '..');
const GOAL_BOOKINGS_PER_S = 1000;
const GOAL_SEARCH_P99_MS = 30;
const SERVICE_TYPES = Array.from({ length: 20 }, (_, i) => `service-${String(i).padStart(2, '0')}`);
const REGIONS = [
  'north-east',
  'north-west',
  'yorkshire',
  'midlands',
  'east',
  'london',
  'south-east',
  'south-west',
];
const ORGS = Array.from(
  { length: 50 },
  (_, i) => `R${String.fromCharCode(65 + (i % 26))}${i < 26 ? 'A' : 'B'}`,
);

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
function strArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
function summary(ms: number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: s.length,
    p50: r(pct(s, 50)),
    p95: r(pct(s, 95)),
    p99: r(pct(s, 99)),
    max: r(s[s.length - 1] ?? NaN),
  };
}
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function nhsNumbers(count: number): string[] {
  const out: string[] = [];
  for (let base = 999_100_000; out.length < count; base++) {
    const digits = String(base);
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    out.push(`${digits}${check === 11 ? 0 : check}`);
  }
  return out;
}

/** Slots for the booking run: one schedule per 500 slots, open to any organisation, from tomorrow. */
async function loadBookingSlots(sql: Client, slots: number): Promise<string[]> {
  const schedules = Math.ceil(slots / 500);
  await sql.query(
    `INSERT INTO schedules (id, ods_code, service_type, region, bookable_by_ods_codes, bookable_by_org_types, name)
     SELECT gen_random_uuid(), 'RTH', 'bench-booking', 'south-east', '{}', '{}', 'bench ' || g FROM generate_series(1, $1) g`,
    [schedules],
  );
  await sql.query(
    `INSERT INTO slots (id, schedule_id, start_at, end_at, ods_code, service_type, region)
     SELECT gen_random_uuid(), s.id, t, t + interval '10 minutes', 'RTH', 'bench-booking', 'south-east'
       FROM (SELECT id, row_number() OVER () AS n FROM schedules WHERE service_type = 'bench-booking') s,
            LATERAL generate_series(date_trunc('day', now()) + interval '1 day', date_trunc('day', now()) + interval '1 day' + interval '10 minutes' * 499, interval '10 minutes') t`,
  );
  const r = await sql.query<{ id: string }>(
    `SELECT id::text FROM slots WHERE service_type = 'bench-booking' LIMIT $1`,
    [slots],
  );
  return r.rows.map((x) => x.id);
}

interface BookingResult {
  mode: string;
  clients: number;
  slots: number;
  bookings: number;
  seconds: number;
  bookingsPerSecond: number;
  conflicts: number;
  latencyMs: ReturnType<typeof summary>;
  doubleBookings: number;
  goal: string;
}

async function bookingRun(
  sql: Client,
  url: string,
  schema: string,
  identity: IdentityTestServer,
  patients: string[],
): Promise<BookingResult> {
  const mode = strArg('mode', 'service');
  const clients = arg('clients', 64);
  const slotCount = arg('slots', 20_000);
  const target = Math.min(arg('bookings', 5000), slotCount);
  log(`booking: loading ${slotCount} slots`);
  const slots = await loadBookingSlots(sql, slotCount);
  await sql.query('ANALYZE');
  const free = [...slots];
  const pickSlot = () => free[Math.floor(Math.random() * free.length)]!;
  let stopAll = async () => undefined as unknown;
  let book: (i: number, slotId: string) => Promise<void>;
  const poolSize = arg('pool', 40);
  if (mode === 'grpc') {
    const authority = await createTestAuthority();
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const handle = await bootstrapService({
      name: 'appointments',
      module: createAppointmentsModule({
        auth: {
          keySet: authority.keySet,
          issuer: authority.issuer,
          statusFeed: new StaticSystemStatusFeed(),
        },
      }),
      config: appointmentsConfigSchema,
      env: {
        ...process.env,
        SERVICE_NAME: 'appointments',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(httpPort),
        DATABASE_SCHEMA: schema,
        DATABASE_POOL_SIZE: String(poolSize),
        IDENTITY_GRPC_ADDR: identity.address,
        OUTBOX_RELAY_ENABLED: 'false',
        IDENTITY_EVENTS_ENABLED: 'false',
        LOG_LEVEL: 'error',
      },
      handleSignals: false,
      grpc: {
        packages: ['trellis.appointments.v1'],
        protoFiles: ['trellis/appointments/v1/appointments.proto'],
      },
    });
    const token = await authority.issue({
      scopes: ['system/Appointment.cruds'],
      systemId: 'bench',
      odsCode: 'A81001',
      region: 'north-east',
      lifetimeSeconds: 300,
    });
    const grpcClients = Array.from(
      { length: 4 },
      () => new AppointmentsGrpcClient(`127.0.0.1:${grpcPort}`),
    );
    book = async (i, slotId) => {
      const client = grpcClients[Math.abs(i) % grpcClients.length]!;
      await client.appointment.bookAppointment(
        {
          idempotencyKey: `bench-${i}-${randomBytes(4).toString('hex')}`,
          slotId,
          nhsNumber: patients[Math.abs(i) % patients.length],
        },
        client.as(token),
      );
    };
    stopAll = async () => {
      grpcClients.forEach((c) => c.close());
      await handle.shutdown('bench done');
    };
  } else {
    const prisma = createPrismaClient(PrismaClient, {
      url,
      schema,
      poolSize,
      applicationName: 'appointments-bench',
    });
    const directory = new IdentityPatientDirectory({
      address: identity.address,
      errors: patientDirectoryErrors,
    });
    const service = new BookingService(
      new BookingRepository(prisma),
      directory,
      new OutboxAppointmentEventSink(createOutbox({ source: '/trellis/appointments' })),
      systemClock,
    );
    const actor = { systemId: 'bench', odsCode: 'A81001', region: 'north-east' };
    book = async (i, slotId) => {
      await service.book(actor, {
        idempotencyKey: `bench-${i}-${randomBytes(4).toString('hex')}`,
        slotId,
        nhsNumber: patients[Math.abs(i) % patients.length]!,
      });
    };
    stopAll = async () => {
      directory.close();
      await prisma.$disconnect();
    };
  }
  // warm-up (connections, JIT)
  for (let i = 0; i < 50; i++) {
    const id = free.pop()!;
    await book(-1 - i, id);
  }
  const latencies: number[] = [];
  let done = 0;
  let conflicts = 0;
  let seq = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (done < target) {
        const slotId = pickSlot();
        const i = seq++;
        const s = performance.now();
        try {
          await book(i, slotId);
          latencies.push(performance.now() - s);
          done++;
          const k = free.indexOf(slotId);
          if (k >= 0) free.splice(k, 1);
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          const details = String((e as { details?: unknown }).details ?? (e as Error).message);
          if (
            code === AppointmentsErrorCode.SlotNotFree ||
            details.includes('SLOT_NOT_FREE') ||
            code === 10
          ) {
            conflicts++;
            const k = free.indexOf(slotId);
            if (k >= 0) free.splice(k, 1);
          } else throw e;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await stopAll();
  const dup = await sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM (SELECT slot_id FROM appointments WHERE status <> 'cancelled' GROUP BY slot_id HAVING count(*) > 1) d",
  );
  const rate = done / seconds;
  return {
    mode,
    clients,
    slots: slotCount,
    bookings: done,
    seconds: Math.round(seconds * 100) / 100,
    bookingsPerSecond: Math.round(rate),
    conflicts,
    latencyMs: summary(latencies),
    doubleBookings: dup.rows[0]!.n,
    goal: `${Math.round((rate / GOAL_BOOKINGS_PER_S) * 100)}% of ${GOAL_BOOKINGS_PER_S}/s`,
  };
}

async function loadSearchSlots(sql: Client, total: number): Promise<void> {
  const schedules = 400;
  const perSchedule = Math.ceil(total / schedules);
  await sql.query(
    `INSERT INTO schedules (id, ods_code, service_type, region, bookable_by_ods_codes, bookable_by_org_types, name)
     SELECT gen_random_uuid(), ($1::text[])[1 + (g % 50)], ($2::text[])[1 + (g % 20)], ($3::text[])[1 + ((g % 50) % 8)], '{}', '{}', 'search ' || g
       FROM generate_series(0, $4 - 1) g`,
    [ORGS, SERVICE_TYPES, REGIONS, schedules],
  );
  // per schedule: perSchedule 20-minute slots, ceil(perSchedule / 120) a day from 08:00, over ~120 days
  const t0 = performance.now();
  const batch = 50;
  const ids = (
    await sql.query<{ id: string }>(
      "SELECT id::text FROM schedules WHERE name LIKE 'search %' ORDER BY name",
    )
  ).rows.map((r) => r.id);
  for (let i = 0; i < ids.length; i += batch) {
    await sql.query(
      `INSERT INTO slots (id, schedule_id, start_at, end_at, status, ods_code, service_type, region)
       SELECT gen_random_uuid(), s.id, t, t + interval '20 minutes',
              (CASE WHEN random() < 0.2 THEN 'busy' ELSE 'free' END)::slot_status, s.ods_code, s.service_type, s.region
         FROM schedules s,
              LATERAL (SELECT date_trunc('day', now()) + interval '1 day'
                              + (n / $3::int) * interval '1 day' + interval '8 hours' + (n % $3::int) * interval '20 minutes' AS t
                         FROM generate_series(0, $2::int - 1) n) x
        WHERE s.id = ANY($1::uuid[])`,
      [
        ids.slice(i, i + batch),
        perSchedule,
        Math.min(30, Math.max(1, Math.ceil(perSchedule / 120))),
      ],
    );
    log(
      `search: loaded ${Math.min(i + batch, ids.length) * perSchedule} slots (${Math.round((performance.now() - t0) / 1000)} s)`,
    );
  }
  await sql.query('ANALYZE slots');
}

interface SearchResult {
  slotsInTable: number;
  searches: number;
  clients: number;
  latencyMs: ReturnType<typeof summary>;
  avgResults: number;
  plans: Record<string, string>;
  goal: string;
}

async function searchRun(sql: Client, url: string, schema: string): Promise<SearchResult> {
  const total = arg('search-slots', 1_000_000);
  const searches = arg('searches', 2000);
  const clients = arg('search-clients', 8);
  log(`search: bulk-loading ${total} slots`);
  await loadSearchSlots(sql, total);
  const count = (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM slots')).rows[0]!.n;
  const prisma = createPrismaClient(PrismaClient, {
    url,
    schema,
    poolSize: clients + 2,
    applicationName: 'appointments-bench-search',
  });
  const service = new SchedulingService(new SchedulingRepository(prisma), systemClock);
  const day0 = new Date();
  day0.setUTCHours(0, 0, 0, 0);
  const query = () => {
    const from = new Date(day0.getTime() + (1 + Math.floor(Math.random() * 110)) * 86_400_000);
    const variant = Math.random();
    return {
      serviceType: SERVICE_TYPES[Math.floor(Math.random() * SERVICE_TYPES.length)]!,
      ...(variant < 0.33
        ? { odsCode: ORGS[Math.floor(Math.random() * ORGS.length)]! }
        : variant < 0.66
          ? { region: REGIONS[Math.floor(Math.random() * REGIONS.length)]! }
          : {}),
      from,
      to: new Date(from.getTime() + 7 * 86_400_000),
      pageSize: 50,
    };
  };
  // the plans PostgreSQL picks for the three shapes of search (same SQL as SchedulingRepository)
  const plans: Record<string, string> = {};
  const from = new Date(day0.getTime() + 30 * 86_400_000);
  const to = new Date(from.getTime() + 7 * 86_400_000);
  for (const [name, extra, params] of [
    ['service+org', 'AND ods_code = $4', [ORGS[3]]],
    ['service+region', 'AND region = $4', [REGIONS[2]]],
    ['service', '', []],
  ] as const) {
    const r = await sql.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT id::text, start_at FROM slots s
        WHERE status = 'free' AND start_at >= $1 AND start_at < $2 AND service_type = $3 ${extra}
        ORDER BY s.start_at, s.id LIMIT 51`,
      [from, to, SERVICE_TYPES[3], ...params],
    );
    plans[name] = r.rows.map((x) => x['QUERY PLAN']).join('\n');
    log(`plan ${name}:\n${plans[name]}`);
  }
  for (let i = 0; i < 100; i++) await service.searchFreeSlots(query()); // warm-up
  const latencies: number[] = [];
  let results = 0;
  let issued = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (issued < searches) {
        issued++;
        const q = query();
        const s = performance.now();
        const r = await service.searchFreeSlots(q);
        latencies.push(performance.now() - s);
        results += r.slots.length;
      }
    }),
  );
  await prisma.$disconnect();
  const lat = summary(latencies);
  return {
    slotsInTable: count,
    searches: latencies.length,
    clients,
    latencyMs: lat,
    avgResults: Math.round(results / latencies.length),
    plans,
    goal: `p99 ${lat.p99} ms vs goal ${GOAL_SEARCH_P99_MS} ms (${lat.p99 <= GOAL_SEARCH_P99_MS ? 'met' : 'missed'})`,
  };
}

async function main(): Promise<void> {
  loadInfraEnv(join(process.env['TRELLIS_HOME'] ?? join(ROOT, '.trellis'), 'infra.env'));
  const { url, schema, drop } = await createTestSchema({
    app: 'appointments',
    migrationsDir: join(ROOT, 'apps/appointments/prisma/migrations'),
    prefix: 'appointments_bench',
  });
  log(`schema ${schema}`);
  const sql = new Client({ connectionString: url, options: `-c search_path=${schema},public` });
  await sql.connect();
  const identity = new IdentityTestServer();
  const patients = nhsNumbers(1000);
  identity.add(...patients.map((nhsNumber) => ({ nhsNumber })));
  await identity.start();
  const out: Record<string, unknown> = {
    schema,
    machine: { cpus: (await import('node:os')).cpus().length },
  };
  try {
    if (!flag('skip-booking')) {
      out['booking'] = await bookingRun(sql, url, schema, identity, patients);
      log(`booking: ${JSON.stringify(out['booking'])}`);
    }
    if (!flag('skip-search')) {
      out['search'] = await searchRun(sql, url, schema);
      log(`search: ${JSON.stringify(out['search'])}`);
    }
  } finally {
    await identity.stop();
    await sql.end();
    if (!flag('keep')) await drop();
  }
  process.stdout.write(`${JSON.stringify(out, null, flag('json') ? 0 : 2)}\n`);
  process.exit(0);
}

void main().catch((e: unknown) => {
  process.stderr.write(
    `bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
