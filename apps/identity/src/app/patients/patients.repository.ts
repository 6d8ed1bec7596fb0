import { PREPARED_MARKER, type RawSql } from '@trellis/database';

import { Prisma, PrismaClient } from '../../generated/prisma/client';
import { canonicalGiven, normaliseGiven, normaliseName, normalisePostcode } from './normalise';
import type {
  Address,
  ContactPoint,
  GpRegistration,
  HumanName,
  PatientRecord,
  PatientVersionEntry,
  TraceQuery,
  TraceResult,
  VersionChange,
} from './patient.model';
import {
  insertPatientSql,
  type NewPatient,
  READ_SQL,
  type RecordRow,
  recordSql,
  rowToRecord,
} from './record.sql';
import { matchedOn, traceSql, traceTerms, TraceRow } from './trace.sql';

export type { NewPatient } from './record.sql';

/** A Prisma client or an interactive transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

const toDate = (d: string) => new Date(`${d}T00:00:00.000Z`);
const optDate = (d: string | undefined) => (d ? toDate(d) : null);

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
   * round trip instead of eight; the child rows' foreign keys are checked at its end). Returns the
   * record as `find` would read it, built from the rows the statement inserted (same columns, same
   * aggregation), so registration needs no read back.
   */
  async insertPatient(tx: RawSql, p: NewPatient, now: Date): Promise<PatientRecord> {
    const rows = await tx.$queryRaw<RecordRow[]>(insertPatientSql(p, now));
    return rowToRecord(rows[0]!);
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
