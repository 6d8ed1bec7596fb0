/**
 * The same synthetic patients in both servers: seeded into a Trellis identity schema
 * (apps/identity/src/seed, faker en_GB, NHS numbers from the 999 range), read back through the
 * Trellis FHIR API and written unchanged (own id aside) into HAPI; and fresh bodies for creates.
 */
import { writeFileSync } from 'node:fs';

import { Client } from 'pg';

import { seed, seedFaker, syntheticPerson } from '@trellis/identity/src/public';
import { hapiId, SEED_TAG } from './hapi';

export const SCHEMA = 'peer_bench_identity';
/** Seeded patients take their numbers from this range, bench creates from the next one. */
export const SEED_RANGE = { name: 'peer_bench_seed', first: 990_000_000, last: 997_999_999 };
export const CREATE_RANGE = { name: 'peer_bench_create', first: 998_000_000, last: 999_999_999 };
export const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

const inSeedRange = `nhs_number BETWEEN '${SEED_RANGE.first}0' AND '${SEED_RANGE.last}9'`;

/** Seeds the schema up to `patients` seeded patients; returns how many were inserted now. */
export async function seedTrellis(url: string, patients: number): Promise<number> {
  const have = await seededNhsNumbers(url, patients).catch(() => []);
  if (have.length >= patients) return 0;
  const r = await seed({
    url,
    schema: SCHEMA,
    count: patients - have.length,
    batch: 5000,
    seed: 20261207 + have.length,
    rangeName: SEED_RANGE.name,
    first: SEED_RANGE.first,
    last: SEED_RANGE.last,
  });
  return r.inserted;
}

/** The first `limit` seeded NHS numbers (ordered, so every run picks the same set). */
export async function seededNhsNumbers(url: string, limit: number): Promise<string[]> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const r = await pg.query<{ nhs: string }>(
      `SELECT nhs_number AS nhs FROM "${SCHEMA}".patient WHERE ${inSeedRange}
        ORDER BY nhs_number LIMIT $1`,
      [limit],
    );
    return r.rows.map((x) => x.nhs);
  } finally {
    await pg.end();
  }
}

/** Patients in the Trellis schema (seeded and created by earlier runs). */
export async function trellisPatientCount(url: string): Promise<number> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const r = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${SCHEMA}".patient`);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await pg.end();
  }
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
