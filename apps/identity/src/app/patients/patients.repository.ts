import { PREPARED_MARKER, type RawSql } from '@trellis/database';

import { Prisma, PrismaClient } from '../../generated/prisma/client';
import { canonicalGiven, normaliseGiven, normaliseName, normalisePostcode } from './normalise';
import type {
  Address,
  AddressUse,
  Confidentiality,
  ContactPoint,
  Gender,
  GpRegistration,
  HumanName,
  NameUse,
  PatientRecord,
  PatientVersionEntry,
  Period,
  TelecomSystem,
  TelecomUse,
  TraceQuery,
  TraceResult,
  VersionChange,
} from './patient.model';
import { matchedOn, traceSql, traceTerms, TraceRow } from './trace.sql';

/** A Prisma client or an interactive transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

const toDate = (d: string) => new Date(`${d}T00:00:00.000Z`);
const optDate = (d: string | undefined) => (d ? toDate(d) : null);

export interface NewPatient {
  nhsNumber: string;
  names: HumanName[];
  gender: Gender;
  birthDate: string;
  addresses: Address[];
  telecom: ContactPoint[];
  gp?: GpRegistration;
  confidentiality: Confidentiality;
  registrationKey: string;
  duplicateOverride: boolean;
}

export interface VersionMeta {
  change: VersionChange;
  changedFields: string[];
  changedBy: string;
  changedByOds: string;
  reason?: string;
  overriddenCandidates?: string[];
}

/**
 * The pg pool under the Prisma client (libs/database createPrismaClientWithPool): the hot read by
 * NHS number runs on it directly, one named statement, without Prisma's query pipeline.
 */
export interface SqlReader {
  query<R extends object>(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: R[] }>;
}

/** The only place that talks to Prisma for patients. */
export class PatientsRepository {
  /** `reader`: the pool the read outside transactions runs on (absent: through Prisma). */
  constructor(private readonly reader?: SqlReader) {}

  /**
   * Reads a record outside any transaction: straight on the pool when there is one (Prisma's
   * $queryRaw pipeline cost identity ≈ 0.2 ms CPU per read, docs/performance.md), else `find`.
   * The same statement and row mapping as `find`.
   */
  async read(db: Db, nhsNumber: string): Promise<PatientRecord | undefined> {
    if (!this.reader) return this.find(db, nhsNumber);
    const r = await this.reader.query<RecordRow>({
      name: 'identity_patient_read',
      text: READ_SQL,
      values: [nhsNumber],
    });
    return r.rows[0] ? rowToRecord(r.rows[0]) : undefined;
  }

  /**
   * Serialises registrations that could be duplicates of each other (transaction-scoped): every
   * key in one statement, taken in the given (sorted) order so two registrations cannot deadlock.
   */
  async lockRegistrationKeys(tx: RawSql, keys: string[]): Promise<void> {
    await tx.$queryRaw`/* prepared:identity_registration_lock */
      SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))::int AS locked
      FROM (SELECT k FROM unnest(${keys}::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i) AS ordered`;
  }

  /**
   * A new patient with its names, addresses, telecom and GP registration in one statement (one
   * round trip instead of eight; the child rows' foreign keys are checked at its end).
   */
  async insertPatient(tx: RawSql, p: NewPatient, now: Date): Promise<void> {
    await tx.$queryRaw(insertPatientSql(p, now));
  }

  async writeNames(
    tx: Db,
    nhsNumber: string,
    names: HumanName[],
    birthDate: string,
  ): Promise<void> {
    await tx.patientName.deleteMany({ where: { nhsNumber } });
    await tx.patientName.createMany({
      data: names.map((n, position) => ({
        nhsNumber,
        position,
        use: n.use,
        family: n.family,
        given: n.given,
        prefix: n.prefix,
        periodStart: optDate(n.period?.start),
        periodEnd: optDate(n.period?.end),
        familyNorm: normaliseName(n.family),
        givenNorm: normaliseGiven(n.given),
        givenCanon: canonicalGiven(n.given),
        birthDate: toDate(birthDate),
      })),
    });
  }

  async writeAddresses(tx: Db, nhsNumber: string, addresses: Address[]): Promise<void> {
    await tx.patientAddress.deleteMany({ where: { nhsNumber } });
    await tx.patientAddress.createMany({
      data: addresses.map((a, position) => {
        const pc = normalisePostcode(a.postcode);
        return {
          nhsNumber,
          position,
          use: a.use,
          lines: a.lines,
          city: a.city,
          district: a.district,
          postcode: a.postcode,
          postcodeNorm: pc.norm,
          postcodeOut: pc.outward,
          periodStart: optDate(a.period?.start),
          periodEnd: optDate(a.period?.end),
        };
      }),
    });
  }

  async writeTelecom(tx: Db, nhsNumber: string, telecom: ContactPoint[]): Promise<void> {
    await tx.patientTelecom.deleteMany({ where: { nhsNumber } });
    await tx.patientTelecom.createMany({
      data: telecom.map((t, position) => ({
        nhsNumber,
        position,
        system: t.system,
        value: t.value,
        use: t.use,
        periodStart: optDate(t.period?.start),
        periodEnd: optDate(t.period?.end),
      })),
    });
  }

  async setBirthDateOnNames(tx: Db, nhsNumber: string, birthDate: string): Promise<void> {
    await tx.patientName.updateMany({
      where: { nhsNumber },
      data: { birthDate: toDate(birthDate) },
    });
  }

  /** Ends the current GP registration and starts a new one (odsCode undefined = deregister). */
  async changeGp(
    tx: Db,
    nhsNumber: string,
    next: GpRegistration | undefined,
    effective: string,
  ): Promise<void> {
    await tx.gpRegistration.updateMany({
      where: { nhsNumber, periodEnd: null },
      data: { periodEnd: toDate(effective) },
    });
    if (next) {
      await tx.gpRegistration.create({
        data: {
          nhsNumber,
          odsCode: next.odsCode,
          region: next.region,
          periodStart: toDate(effective),
        },
      });
    }
    await tx.patient.update({
      where: { nhsNumber },
      data: { gpOdsCode: next?.odsCode ?? null, gpRegion: next?.region ?? null },
    });
  }

  /**
   * Bumps the version iff it is still `expected` (compare-and-set): returns false when another
   * writer got there first, so exactly one of concurrent updates at the same version wins.
   */
  async bumpVersion(
    tx: Db,
    nhsNumber: string,
    expected: number,
    now: Date,
    data: Prisma.PatientUpdateManyMutationInput = {},
  ): Promise<boolean> {
    const res = await tx.patient.updateMany({
      where: { nhsNumber, version: expected },
      data: { ...data, version: expected + 1, lastUpdated: now },
    });
    return res.count === 1;
  }

  /**
   * One round trip: the patient row with its names, addresses, telecom, GP periods and merged
   * numbers. A named statement: planning its five sub-selects cost PostgreSQL ≈ 3× executing them
   * (docs/performance.md), so each connection plans it once.
   */
  async find(db: RawSql, nhsNumber: string): Promise<PatientRecord | undefined> {
    const rows = await db.$queryRaw<RecordRow[]>(
      recordSql(Prisma.sql`p.nhs_number = ${nhsNumber}`, 'identity_patient_find'),
    );
    return rows[0] ? rowToRecord(rows[0]) : undefined;
  }

  async findMany(db: RawSql, nhsNumbers: string[]): Promise<Map<string, PatientRecord>> {
    if (nhsNumbers.length === 0) return new Map();
    const rows = await db.$queryRaw<RecordRow[]>(
      recordSql(Prisma.sql`p.nhs_number = ANY(${nhsNumbers}::text[])`),
    );
    return new Map(rows.map((r) => [r.nhs_number, rowToRecord(r)]));
  }

  /** Locks the row for the rest of the transaction (merge, deceased) and returns its version. */
  async lockRow(tx: Db, nhsNumber: string): Promise<{ version: number } | undefined> {
    const rows = await tx.$queryRaw<Array<{ version: number }>>`
      SELECT version FROM patient WHERE nhs_number = ${nhsNumber} FOR UPDATE`;
    return rows[0];
  }

  async markMerged(
    tx: Db,
    superseded: string,
    survivor: string,
    expectedVersion: number,
    now: Date,
  ): Promise<boolean> {
    const count = await tx.$executeRaw`
      UPDATE patient SET merged_into = ${survivor}, merged_at = ${now}, version = version + 1, last_updated = ${now}
      WHERE nhs_number = ${superseded} AND version = ${expectedVersion} AND merged_into IS NULL`;
    if (count !== 1) return false;
    // numbers previously merged into the superseded record now point straight at the survivor
    await tx.$executeRaw`UPDATE patient SET merged_into = ${survivor} WHERE merged_into = ${superseded}`;
    await tx.patientName.updateMany({ where: { nhsNumber: superseded }, data: { active: false } });
    await tx.patientAddress.updateMany({
      where: { nhsNumber: superseded },
      data: { active: false },
    });
    return true;
  }

  async appendVersion(
    tx: RawSql,
    record: PatientRecord,
    meta: VersionMeta,
    now: Date,
  ): Promise<void> {
    await tx.$queryRaw`/* prepared:identity_version_append */
      INSERT INTO patient_version (nhs_number, version, change, changed_fields, changed_by,
                                   changed_by_ods, recorded_at, snapshot, reason, overridden_candidates)
      VALUES (${record.nhsNumber}, ${record.version}::int, ${meta.change}, ${meta.changedFields}::text[],
              ${meta.changedBy}, ${meta.changedByOds}, ${now}::timestamptz, ${JSON.stringify(record)}::jsonb,
              ${meta.reason ?? null}, ${meta.overriddenCandidates ?? []}::text[])
      RETURNING id::text AS id`;
  }

  /** Versions of a record and of every record merged into it, newest first. */
  async history(
    db: Db,
    nhsNumbers: string[],
    offset: number,
    limit: number,
  ): Promise<PatientVersionEntry[]> {
    const rows = await db.patientVersion.findMany({
      where: { nhsNumber: { in: nhsNumbers } },
      orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }],
      skip: offset,
      take: limit,
    });
    return rows.map(toVersionEntry);
  }

  async version(
    db: Db,
    nhsNumbers: string[],
    version: number,
    preferred: string,
  ): Promise<PatientVersionEntry | undefined> {
    const rows = await db.patientVersion.findMany({
      where: { nhsNumber: { in: nhsNumbers }, version },
    });
    const row = rows.find((r) => r.nhsNumber === preferred) ?? rows[0];
    return row ? toVersionEntry(row) : undefined;
  }

  /**
   * `prepared` names the statement (per connection, per distinct text): for a caller whose
   * queries take few shapes — registration's duplicate check — PostgreSQL then stops planning the
   * trace on every call, which cost it several times the execution (docs/performance.md).
   */
  async trace(db: RawSql, query: TraceQuery, prepared?: string): Promise<TraceResult> {
    const terms = traceTerms(query);
    const sql = traceSql(terms, query.minScore, query.maxResults, query.dominanceMargin ?? 1);
    if (!sql) return { candidates: [], totalAboveThreshold: 0 };
    const rows = await db.$queryRaw<TraceRow[]>(
      prepared ? Prisma.sql`${Prisma.raw(`${PREPARED_MARKER}${prepared} */`)}${sql}` : sql,
    );
    return {
      candidates: rows.map((r) => ({
        nhsNumber: r.nhs_number,
        score: Number(r.score),
        matchedOn: matchedOn(r),
      })),
      totalAboveThreshold: rows.length > 0 ? Number(rows[0]!.total) : 0,
    };
  }
}

interface RecordRow {
  nhs_number: string;
  gender: string;
  birth_date: string;
  deceased_at: Date | null;
  confidentiality: string;
  version: number;
  last_updated: Date;
  merged_into: string | null;
  names: Array<{
    use: string;
    family: string;
    given: string[] | null;
    prefix: string[] | null;
    ps: string | null;
    pe: string | null;
  }>;
  addresses: Array<{
    use: string;
    lines: string[] | null;
    city: string;
    district: string;
    postcode: string;
    ps: string | null;
    pe: string | null;
  }>;
  telecom: Array<{
    system: string;
    value: string;
    use: string;
    ps: string | null;
    pe: string | null;
  }>;
  gps: Array<{ ods: string; region: string; ps: string; pe: string | null }>;
  superseded: string[];
}

/**
 * The record query: the patient row plus json_agg of each child table, in one statement;
 * `prepared` names it (libs/database PREPARED_MARKER) when its text is fixed.
 */
function recordSql(where: Prisma.Sql, prepared?: string): Prisma.Sql {
  const marker = prepared ? Prisma.raw(`${PREPARED_MARKER}${prepared} */`) : Prisma.empty;
  return Prisma.sql`${marker}
    SELECT p.nhs_number, p.gender::text AS gender, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.deceased_at,
           p.confidentiality::text AS confidentiality, p.version, p.last_updated, p.merged_into,
           COALESCE((SELECT json_agg(json_build_object('use', n.use, 'family', n.family, 'given', n.given, 'prefix', n.prefix,
                       'ps', n.period_start, 'pe', n.period_end) ORDER BY n.position)
                     FROM patient_name n WHERE n.nhs_number = p.nhs_number), '[]') AS names,
           COALESCE((SELECT json_agg(json_build_object('use', a.use, 'lines', a.lines, 'city', a.city, 'district', a.district,
                       'postcode', a.postcode, 'ps', a.period_start, 'pe', a.period_end) ORDER BY a.position)
                     FROM patient_address a WHERE a.nhs_number = p.nhs_number), '[]') AS addresses,
           COALESCE((SELECT json_agg(json_build_object('system', t.system, 'value', t.value, 'use', t.use,
                       'ps', t.period_start, 'pe', t.period_end) ORDER BY t.position)
                     FROM patient_telecom t WHERE t.nhs_number = p.nhs_number), '[]') AS telecom,
           COALESCE((SELECT json_agg(json_build_object('ods', g.ods_code, 'region', g.region, 'ps', g.period_start, 'pe', g.period_end)
                       ORDER BY g.period_start DESC, g.id DESC)
                     FROM gp_registration g WHERE g.nhs_number = p.nhs_number), '[]') AS gps,
           ARRAY(SELECT s.nhs_number FROM patient s WHERE s.merged_into = p.nhs_number ORDER BY s.nhs_number) AS superseded
    FROM patient p WHERE ${where}`;
}

/** recordSql by NHS number as plain text ($1), for the pool's named statement. */
const READ_SQL = recordSql(Prisma.sql`p.nhs_number = ${''}`).text;

const jsonPeriod = (ps: string | null, pe: string | null): Period | undefined =>
  ps || pe ? { ...(ps ? { start: ps } : {}), ...(pe ? { end: pe } : {}) } : undefined;

function rowToRecord(row: RecordRow): PatientRecord {
  const gps: GpRegistration[] = row.gps.map((g) => ({
    odsCode: g.ods,
    region: g.region,
    period: jsonPeriod(g.ps, g.pe) ?? {},
  }));
  const current = row.gps.findIndex((g) => g.pe === null);
  return {
    nhsNumber: row.nhs_number,
    names: row.names.map((n) => ({
      use: n.use as NameUse,
      family: n.family,
      given: n.given ?? [],
      prefix: n.prefix ?? [],
      ...withPeriod(jsonPeriod(n.ps, n.pe)),
    })),
    gender: row.gender as Gender,
    birthDate: row.birth_date,
    ...(row.deceased_at ? { deceasedAt: new Date(row.deceased_at) } : {}),
    addresses: row.addresses.map((a) => ({
      use: a.use as AddressUse,
      lines: a.lines ?? [],
      city: a.city,
      district: a.district,
      postcode: a.postcode,
      ...withPeriod(jsonPeriod(a.ps, a.pe)),
    })),
    telecom: row.telecom.map((t) => ({
      system: t.system as TelecomSystem,
      value: t.value,
      use: t.use as TelecomUse,
      ...withPeriod(jsonPeriod(t.ps, t.pe)),
    })),
    ...(current >= 0 ? { gp: gps[current] } : {}),
    gpHistory: gps.filter((_, i) => i !== current),
    confidentiality: row.confidentiality as Confidentiality,
    version: row.version,
    lastUpdated: new Date(row.last_updated),
    supersededNhsNumbers: row.superseded,
    ...(row.merged_into ? { mergedInto: row.merged_into } : {}),
  };
}

function withPeriod(period: Period | undefined): { period?: Period } {
  return period ? { period } : {};
}

/** The insert of a new patient and its child rows (two fixed texts: with and without a GP). */
function insertPatientSql(p: NewPatient, now: Date): Prisma.Sql {
  const names = p.names.map((n, position) => ({
    position,
    use: n.use,
    family: n.family,
    given: n.given,
    prefix: n.prefix,
    ps: n.period?.start || null,
    pe: n.period?.end || null,
    family_norm: normaliseName(n.family),
    given_norm: normaliseGiven(n.given),
    given_canon: canonicalGiven(n.given),
  }));
  const addresses = p.addresses.map((a, position) => {
    const pc = normalisePostcode(a.postcode);
    return {
      position,
      use: a.use,
      lines: a.lines,
      city: a.city,
      district: a.district,
      postcode: a.postcode,
      postcode_norm: pc.norm,
      postcode_out: pc.outward,
      ps: a.period?.start || null,
      pe: a.period?.end || null,
    };
  });
  const telecom = p.telecom.map((t, position) => ({
    position,
    system: t.system,
    value: t.value,
    use: t.use,
    ps: t.period?.start || null,
    pe: t.period?.end || null,
  }));
  const gp = p.gp
    ? Prisma.sql`, gp AS (
        INSERT INTO gp_registration (nhs_number, ods_code, region, period_start)
        SELECT nhs_number, ${p.gp.odsCode}, ${p.gp.region}, ${p.gp.period.start!}::date FROM pt)`
    : Prisma.empty;
  const label = p.gp ? 'identity_patient_insert_gp' : 'identity_patient_insert';
  return Prisma.sql`${Prisma.raw(`${PREPARED_MARKER}${label} */`)}
    WITH pt AS (
      INSERT INTO patient (nhs_number, gender, birth_date, confidentiality, gp_ods_code, gp_region,
                           version, created_at, last_updated, registration_key, duplicate_override)
      VALUES (${p.nhsNumber}, ${p.gender}::gender, ${p.birthDate}::date,
              ${p.confidentiality}::confidentiality, ${p.gp?.odsCode ?? null}, ${p.gp?.region ?? null},
              1, ${now}::timestamptz, ${now}::timestamptz, ${p.registrationKey}, ${p.duplicateOverride}::boolean)
      RETURNING nhs_number
    ), names AS (
      INSERT INTO patient_name (nhs_number, position, use, family, given, prefix, period_start,
                                period_end, family_norm, given_norm, given_canon, birth_date)
      SELECT pt.nhs_number, x.position, x.use, x.family,
             ARRAY(SELECT jsonb_array_elements_text(x.given)),
             ARRAY(SELECT jsonb_array_elements_text(x.prefix)),
             x.ps, x.pe, x.family_norm, x.given_norm, x.given_canon, ${p.birthDate}::date
      FROM pt, jsonb_to_recordset(${JSON.stringify(names)}::jsonb) AS x(position int, use text,
           family text, given jsonb, prefix jsonb, ps date, pe date, family_norm text,
           given_norm text, given_canon text)
    ), addresses AS (
      INSERT INTO patient_address (nhs_number, position, use, lines, city, district, postcode,
                                   postcode_norm, postcode_out, period_start, period_end)
      SELECT pt.nhs_number, x.position, x.use, ARRAY(SELECT jsonb_array_elements_text(x.lines)),
             x.city, x.district, x.postcode, x.postcode_norm, x.postcode_out, x.ps, x.pe
      FROM pt, jsonb_to_recordset(${JSON.stringify(addresses)}::jsonb) AS x(position int, use text,
           lines jsonb, city text, district text, postcode text, postcode_norm text,
           postcode_out text, ps date, pe date)
    ), telecom AS (
      INSERT INTO patient_telecom (nhs_number, position, system, value, use, period_start, period_end)
      SELECT pt.nhs_number, x.position, x.system, x.value, x.use, x.ps, x.pe
      FROM pt, jsonb_to_recordset(${JSON.stringify(telecom)}::jsonb) AS x(position int,
           system text, value text, use text, ps date, pe date)
    )${gp}
    SELECT nhs_number FROM pt`;
}

function toVersionEntry(row: {
  nhsNumber: string;
  version: number;
  change: string;
  changedFields: string[];
  changedBy: string;
  recordedAt: Date;
  snapshot: Prisma.JsonValue;
}): PatientVersionEntry {
  const snap = row.snapshot as unknown as PatientRecord & {
    lastUpdated: string;
    deceasedAt?: string;
  };
  return {
    nhsNumber: row.nhsNumber,
    version: row.version,
    change: row.change as VersionChange,
    changedFields: row.changedFields,
    changedBy: row.changedBy,
    recordedAt: row.recordedAt,
    snapshot: {
      ...snap,
      lastUpdated: new Date(snap.lastUpdated),
      ...(snap.deceasedAt ? { deceasedAt: new Date(snap.deceasedAt) } : {}),
    },
  };
}
