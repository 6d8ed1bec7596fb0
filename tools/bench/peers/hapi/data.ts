/**
 * The same synthetic patients in both servers: seeded into a Trellis identity schema
 * (apps/identity/src/seed, faker en_GB, NHS numbers from the 999 range), read back through the
 * Trellis FHIR API and written unchanged (own id aside) into HAPI; and fresh bodies for creates.
 * With --bulk, a schema of its own per size, filled by the bulk seeder (tools/bench/bulk-patients):
 * for data-size runs of Trellis alone (reads and searches), up to every valid 999 test number.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Client } from 'pg';

import { applyMigrations } from '@trellis/database';
import { seed, seedFaker, syntheticPerson } from '@trellis/identity/src/public';
import { insertBulkPatients } from '../../bulk-patients';
import { hapiId, SEED_TAG } from './hapi';

/** Seeded patients take their numbers from this range, bench creates from the next one. */
export const SEED_RANGE = { name: 'peer_bench_seed', first: 990_000_000, last: 997_999_999 };
export const CREATE_RANGE = { name: 'peer_bench_create', first: 998_000_000, last: 999_999_999 };
export const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
const MIGRATIONS = join(__dirname, '../../../../apps/identity/prisma/migrations');

/** Where a run's Trellis patients live and which of them are the seeded set reads go to. */
export interface PatientSet {
  schema: string;
  /** SQL predicate on `nhs_number` selecting the seeded patients (not the bench's creates) */
  seeded: string;
  /** bulk: exactly N patients, bulk-seeded, no creates; otherwise faker patients, topped up */
  bulk: boolean;
}

/** The faker set every side-by-side run shares (kept between runs, topped up to N). */
export const FAKER_SET: PatientSet = {
  schema: 'peer_bench_identity',
  seeded: `nhs_number BETWEEN '${SEED_RANGE.first}0' AND '${SEED_RANGE.last}9'`,
  bulk: false,
};

/** A bulk set of exactly `patients` patients, in a schema of its own (per size). */
export function bulkSet(patients: number): PatientSet {
  return { schema: `peer_bench_bulk_${patients}`, seeded: `nhs_number LIKE '999%'`, bulk: true };
}

async function withPg<T>(url: string, work: (pg: Client) => Promise<T>): Promise<T> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    return await work(pg);
  } finally {
    await pg.end();
  }
}

/** Seeds the set up to `patients` seeded patients; returns how many were inserted now. */
export async function seedTrellis(url: string, set: PatientSet, patients: number): Promise<number> {
  if (set.bulk) return seedBulk(url, set, patients);
  const have = await seededNhsNumbers(url, set, patients).catch(() => []);
  if (have.length >= patients) return 0;
  const r = await seed({
    url,
    schema: set.schema,
    count: patients - have.length,
    batch: 5000,
    seed: 20261207 + have.length,
    rangeName: SEED_RANGE.name,
    first: SEED_RANGE.first,
    last: SEED_RANGE.last,
  });
  return r.inserted;
}

/** A bulk schema holds exactly N patients: filled when empty, reused when complete. */
async function seedBulk(url: string, set: PatientSet, patients: number): Promise<number> {
  await applyMigrations({ url, schema: set.schema, migrationsDir: MIGRATIONS });
  const have = await trellisPatientCount(url, set);
  if (have === patients) return 0;
  if (have !== 0)
    throw new Error(
      `${set.schema} holds ${have} patients, not ${patients}: drop it (--drop-schema) and run again`,
    );
  return withPg(url, async (pg) => {
    await insertBulkPatients(pg, set.schema, patients, [{ ods: 'A81001', region: 'north-east' }]);
    // plans as after a real load: the statistics of the full tables
    for (const table of ['patient', 'patient_name', 'gp_registration'])
      await pg.query(`ANALYZE "${set.schema}".${table}`);
    return patients;
  });
}

/** Drops a bulk set's schema (the large sizes are not left in the shared database). */
export async function dropTrellisSet(url: string, set: PatientSet): Promise<void> {
  if (!set.bulk) throw new Error(`${set.schema} is the shared faker set: not dropped`);
  await withPg(url, (pg) => pg.query(`DROP SCHEMA IF EXISTS "${set.schema}" CASCADE`));
}

/** The first `limit` seeded NHS numbers (ordered, so every run picks the same set). */
export async function seededNhsNumbers(
  url: string,
  set: PatientSet,
  limit: number,
): Promise<string[]> {
  return withPg(url, async (pg) => {
    const r = await pg.query<{ nhs: string }>(
      `SELECT nhs_number AS nhs FROM "${set.schema}".patient WHERE ${set.seeded}
        ORDER BY nhs_number LIMIT $1`,
      [limit],
    );
    return r.rows.map((x) => x.nhs);
  });
}

/** Patients in the set's schema (seeded and created by earlier runs). */
export async function trellisPatientCount(url: string, set: PatientSet): Promise<number> {
  return withPg(url, async (pg) => {
    const r = await pg.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${set.schema}".patient`,
    );
    return Number(r.rows[0]?.n ?? 0);
  });
}

type Resource = Record<string, unknown> & { id: string };

/** Reads patients through the Trellis FHIR API and returns them as HAPI will store them. */
export async function trellisPatientsForHapi(
  gatewayUrl: string,
  token: string,
  nhsNumbers: string[],
  concurrency = 16,
): Promise<Resource[]> {
  const out: Resource[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < nhsNumbers.length) {
      const nhs = nhsNumbers[next++]!;
      const r = await fetch(`${gatewayUrl}/fhir/Patient/${nhs}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
      });
      if (!r.ok) throw new Error(`Trellis read ${nhs}: ${r.status} ${await r.text()}`);
      const patient = (await r.json()) as Record<string, unknown>;
      delete patient['meta'];
      out.push({ ...patient, id: hapiId(nhs), meta: { tag: [SEED_TAG] } });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** A new patient as a FHIR create body (no NHS number: Trellis allocates one, HAPI an id). */
function createBody(): Record<string, unknown> {
  const p = syntheticPerson();
  return {
    resourceType: 'Patient',
    name: p.names.map((n) => ({
      use: n.use,
      family: n.family,
      given: n.given,
      ...(n.period?.end ? { period: { end: n.period.end } } : {}),
    })),
    telecom: p.telecom.map((t) => ({ system: t.system, value: t.value, use: t.use })),
    gender: p.gender,
    birthDate: p.birthDate,
    address: p.addresses.map((a) => ({
      use: a.use,
      line: a.lines,
      city: a.city,
      postalCode: a.postcode,
      ...(a.period?.end ? { period: { end: a.period.end } } : {}),
    })),
    generalPractitioner: [
      { type: 'Organization', identifier: { system: ODS_SYSTEM, value: p.gpOdsCode } },
    ],
  };
}

/** Writes `count` create bodies, one JSON document a line (a fresh faker seed per file). */
export function writeCreateBodies(file: string, count: number, fakerSeed: number): void {
  seedFaker(fakerSeed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify(createBody()));
  writeFileSync(file, `${lines.join('\n')}\n`);
}
