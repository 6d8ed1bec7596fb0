/**
 * Demo data (`npx nx run appointments:seed`, run by `npm start` after `migrate`): a handful of
 * demo organisations' schedules and three weeks of weekday slots from today. Idempotent:
 * schedules have deterministic ids, slots are inserted with ON CONFLICT DO NOTHING (the overlap
 * exclusion constraint makes a re-run a no-op).
 *
 * ODS codes: trusts use real-looking trust codes; GP practices are the demo practices of the
 * organisation reference table (libs/service-kit/src/reference/organisations.ts).
 */
import { createHash } from 'node:crypto';

import { createPrismaClient } from '@trellis/database';
import { loadInfraEnv } from '@trellis/testing';

import { Prisma, PrismaClient } from '../src/app/prisma';

interface DemoSchedule {
  key: string;
  odsCode: string;
  region: string;
  serviceType: string;
  specialty?: string;
  practitionerId?: string;
  name: string;
  bookableByOdsCodes?: string[];
  bookableByOrgTypes?: string[];
  /** Sessions per weekday: [startHour, endHour]. */
  sessions: [number, number][];
  minutes: number;
}

export const DEMO_SCHEDULES: readonly DemoSchedule[] = [
  {
    key: 'rth-cardiology',
    odsCode: 'RTH',
    region: 'south-east',
    serviceType: 'cardiology-opd',
    specialty: 'cardiology',
    name: 'Oxford cardiology outpatients',
    bookableByOrgTypes: ['gp-practice', 'nhs-trust'],
    sessions: [
      [9, 12],
      [13, 17],
    ],
    minutes: 20,
  },
  {
    key: 'rth-dermatology',
    odsCode: 'RTH',
    region: 'south-east',
    serviceType: 'dermatology-opd',
    specialty: 'dermatology',
    name: 'Oxford dermatology outpatients',
    bookableByOrgTypes: ['gp-practice'],
    sessions: [[9, 12]],
    minutes: 15,
  },
  {
    key: 'rtd-cardiology',
    odsCode: 'RTD',
    region: 'north-east',
    serviceType: 'cardiology-opd',
    specialty: 'cardiology',
    name: 'Newcastle cardiology outpatients',
    bookableByOrgTypes: ['gp-practice'],
    sessions: [[9, 13]],
    minutes: 20,
  },
  {
    key: 'rtd-2ww-breast',
    odsCode: 'RTD',
    region: 'north-east',
    serviceType: 'breast-2ww',
    specialty: 'breast-surgery',
    name: 'Newcastle two-week-wait breast clinic',
    bookableByOrgTypes: ['gp-practice'],
    sessions: [[8, 12]],
    minutes: 30,
  },
  {
    key: 'rj1-rheumatology',
    odsCode: 'RJ1',
    region: 'london',
    serviceType: 'rheumatology-opd',
    specialty: 'rheumatology',
    name: "Guy's rheumatology outpatients",
    bookableByOrgTypes: ['gp-practice', 'nhs-trust'],
    sessions: [[10, 16]],
    minutes: 30,
  },
  {
    key: 'rx1-orthopaedics',
    odsCode: 'RX1',
    region: 'midlands',
    serviceType: 'orthopaedics-opd',
    specialty: 'trauma-orthopaedics',
    name: 'Nottingham orthopaedics outpatients',
    bookableByOrgTypes: ['gp-practice'],
    sessions: [
      [9, 12],
      [14, 17],
    ],
    minutes: 20,
  },
  {
    key: 'a81001-gp',
    odsCode: 'A81001',
    region: 'north-east',
    serviceType: 'gp-appointment',
    practitionerId: 'G8123456',
    name: 'Tees Valley Medical Centre GP appointments',
    bookableByOdsCodes: ['A81001'],
    sessions: [
      [8, 12],
      [14, 18],
    ],
    minutes: 10,
  },
  {
    key: 'e81001-gp',
    odsCode: 'E81001',
    region: 'london',
    serviceType: 'gp-appointment',
    practitionerId: 'G8765432',
    name: 'Camden High Street Practice GP appointments',
    bookableByOdsCodes: ['E81001'],
    sessions: [[9, 13]],
    minutes: 10,
  },
];

/** A stable UUID (v5-shaped) from a name, so re-seeding updates rather than duplicates. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(`trellis-appointments-demo:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export async function seed(
  prisma: PrismaClient,
  days = 21,
  from = new Date(),
): Promise<{ schedules: number; slotsInserted: number }> {
  const start = new Date(
    Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + 1),
  );
  let slotsInserted = 0;
  for (const d of DEMO_SCHEDULES) {
    const id = stableUuid(d.key);
    const data = {
      odsCode: d.odsCode,
      region: d.region,
      serviceType: d.serviceType,
      specialty: d.specialty ?? null,
      practitionerId: d.practitionerId ?? null,
      name: d.name,
      bookableByOdsCodes: d.bookableByOdsCodes ?? [],
      bookableByOrgTypes: d.bookableByOrgTypes ?? [],
    };
    await prisma.schedule.upsert({
      where: { id },
      create: { id, ...data },
      update: {
        name: d.name,
        bookableByOdsCodes: data.bookableByOdsCodes,
        bookableByOrgTypes: data.bookableByOrgTypes,
      },
    });
    for (const [h0, h1] of d.sessions) {
      // weekdays only; one row per slot of the session; overlaps (a re-run) are skipped
      slotsInserted += await prisma.$executeRaw(Prisma.sql`
        INSERT INTO slots (id, schedule_id, start_at, end_at, status, ods_code, service_type, region, practitioner_id)
        SELECT gen_random_uuid(), ${id}::uuid, t, t + make_interval(mins => ${d.minutes}), 'free',
               ${d.odsCode}, ${d.serviceType}, ${d.region}, ${d.practitionerId ?? null}
          FROM generate_series(0, ${days - 1}) AS day,
               LATERAL generate_series(
                 ${start}::timestamptz + make_interval(days => day, hours => ${h0}),
                 ${start}::timestamptz + make_interval(days => day, hours => ${h1}) - make_interval(mins => ${d.minutes}),
                 make_interval(mins => ${d.minutes})) AS t
         WHERE extract(isodow FROM t) < 6
        ON CONFLICT DO NOTHING`);
    }
  }
  return { schedules: DEMO_SCHEDULES.length, slotsInserted };
}

if (require.main === module) {
  const env = loadInfraEnv();
  const url = process.env['DATABASE_URL'] ?? env.DATABASE_URL;
  const schema = process.env['DATABASE_SCHEMA'] ?? 'appointments';
  const prisma = createPrismaClient(PrismaClient, {
    url,
    schema,
    applicationName: 'appointments-seed',
  });
  seed(prisma)
    .then((r) => {
      process.stdout.write(
        `appointments seed: ${r.schedules} schedules, ${r.slotsInserted} new slots in schema ${schema}\n`,
      );
      return prisma.$disconnect();
    })
    .catch(async (e: unknown) => {
      process.stderr.write(
        `appointments seed failed: ${e instanceof Error ? e.message : String(e)}\n`,
      );
      await prisma.$disconnect();
      process.exit(1);
    });
}
