import { inPoolTransaction, type RawSql } from '@trellis/database';
import type { Pool } from 'pg';

import { Prisma, PrismaClient } from '../../generated/prisma/client';
import { canonicalGiven, normaliseGiven, normaliseName, normalisePostcode } from './normalise';
import type {
  Address,
  Confidentiality,
  ContactPoint,
  Gender,
  GpRegistration,
  HumanName,
  PatientRecord,
  PatientVersionEntry,
  VersionChange,
} from './patient.model';
import { PatientSqlRepository, registrationLockStatements } from './patient-sql.repository';
import { READ_SQL, type RecordRow, rowToRecord } from './record.sql';

export type { NewPatient } from './record.sql';
export type { VersionMeta } from './patient-sql.repository';

/** A Prisma client or an interactive transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Interactive transactions of identity: bounded wait for a connection and run time. */
export const TX = { maxWait: 30_000, timeout: 30_000 };

const toDate = (d: string) => new Date(`${d}T00:00:00.000Z`);
const optDate = (d: string | undefined) => (d ? toDate(d) : null);

/** The patient-row columns an update or a merge changes besides the version. */
export interface RecordChange {
  gender?: Gender;
  /** YYYY-MM-DD */
  birthDate?: string;
  confidentiality?: Confidentiality;
  deceasedAt?: Date;
}

/** A page of the bulk listing: live records after an NHS number, NHS-number order. */
export interface ListingQuery {
  after: string;
  /** '' = every region */
  region: string;
  /** false: restricted records are left out */
  restricted: boolean;
  updatedSince?: Date | undefined;
  take: number;
}

/**
 * The only place that talks to Prisma for patients, and the owner of their transactions: the
 * rules get this repository bound to a unit of work and never see a client.
 */
export class PatientsRepository extends PatientSqlRepository<
  Prisma.TransactionClient,
  PrismaClient
> {
  /**
   * Units of work (update, death, merge: `inTransaction`, libs/database TransactionalRepository)
   * in one Prisma interactive transaction with identity's limits: `work` gets this repository bound
   * to it, and the transaction itself for the outbox (the events commit with the state); inside a
   * unit of work, a nested one joins it.
   */
  protected override readonly transactionOptions = TX;

  /**
   * `pool`: the pg pool under the Prisma client (libs/database createPrismaClientWithPool): the
   * read by NHS number and registration's transaction run on it directly (absent: through Prisma).
   */
  constructor(
    db: Db,
    private readonly pool?: Pool,
  ) {
    super(db);
  }

  /**
   * One unit of work over raw SQL only, registration's hot path: on the pool when there is one
   * (BEGIN … COMMIT on one connection, no Prisma pipeline: its statements through Prisma were most
   * of identity's CPU per create, docs/performance.md "Hot paths: create"), else as inTransaction.
   */
  inSqlTransaction<R>(work: (repo: PatientSqlRepository, tx: RawSql) => Promise<R>): Promise<R> {
    if (!this.pool) return this.inTransaction(work);
    return inPoolTransaction(this.pool, (tx) => work(new PatientSqlRepository<RawSql>(tx), tx));
  }

  /**
   * inSqlTransaction that first locks registration keys (lockRegistrationKeys): on the pool the
   * locks travel with BEGIN in one message (one round trip less per registration,
   * docs/performance.md "Hot paths: create, third pass").
   */
  inRegistrationTransaction<R>(
    lockKeys: string[],
    work: (repo: PatientSqlRepository, tx: RawSql) => Promise<R>,
  ): Promise<R> {
    if (!this.pool) {
      return this.inTransaction(async (repo, tx) => {
        await repo.lockRegistrationKeys(lockKeys);
        return work(repo, tx);
      });
    }
    return inPoolTransaction(this.pool, (tx) => work(new PatientSqlRepository<RawSql>(tx), tx), {
      opening: registrationLockStatements(lockKeys),
    });
  }

  /**
   * Reads a record outside any transaction: straight on the pool when there is one (Prisma's
   * $queryRaw pipeline cost identity ≈ 0.2 ms CPU per read, docs/performance.md), else `find`.
   * The same statement and row mapping as `find`.
   */
  async read(nhsNumber: string): Promise<PatientRecord | undefined> {
    if (!this.pool) return this.find(nhsNumber);
    const r = await this.pool.query<RecordRow>({
      name: 'identity_patient_read',
      text: READ_SQL,
      values: [nhsNumber],
    });
    return r.rows[0] ? rowToRecord(r.rows[0]) : undefined;
  }

  async writeNames(nhsNumber: string, names: HumanName[], birthDate: string): Promise<void> {
    await this.db.patientName.deleteMany({ where: { nhsNumber } });
    await this.db.patientName.createMany({
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

  async writeAddresses(nhsNumber: string, addresses: Address[]): Promise<void> {
    await this.db.patientAddress.deleteMany({ where: { nhsNumber } });
    await this.db.patientAddress.createMany({
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

  async writeTelecom(nhsNumber: string, telecom: ContactPoint[]): Promise<void> {
    await this.db.patientTelecom.deleteMany({ where: { nhsNumber } });
    await this.db.patientTelecom.createMany({
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

  async setBirthDateOnNames(nhsNumber: string, birthDate: string): Promise<void> {
    await this.db.patientName.updateMany({
      where: { nhsNumber },
      data: { birthDate: toDate(birthDate) },
    });
  }

  /** Ends the current GP registration and starts a new one (odsCode undefined = deregister). */
  async changeGp(
    nhsNumber: string,
    next: GpRegistration | undefined,
    effective: string,
  ): Promise<void> {
    await this.db.gpRegistration.updateMany({
      where: { nhsNumber, periodEnd: null },
      data: { periodEnd: toDate(effective) },
    });
    if (next) {
      await this.db.gpRegistration.create({
        data: {
          nhsNumber,
          odsCode: next.odsCode,
          region: next.region,
          periodStart: toDate(effective),
        },
      });
    }
    await this.db.patient.update({
      where: { nhsNumber },
      data: { gpOdsCode: next?.odsCode ?? null, gpRegion: next?.region ?? null },
    });
  }

  /**
   * Bumps the version iff it is still `expected` (compare-and-set): returns false when another
   * writer got there first, so exactly one of concurrent updates at the same version wins.
   */
  async bumpVersion(
    nhsNumber: string,
    expected: number,
    now: Date,
    change: RecordChange = {},
  ): Promise<boolean> {
    const res = await this.db.patient.updateMany({
      where: { nhsNumber, version: expected },
      data: {
        ...(change.gender ? { gender: change.gender } : {}),
        ...(change.birthDate ? { birthDate: toDate(change.birthDate) } : {}),
        ...(change.confidentiality ? { confidentiality: change.confidentiality } : {}),
        ...(change.deceasedAt ? { deceasedAt: change.deceasedAt } : {}),
        version: expected + 1,
        lastUpdated: now,
      },
    });
    return res.count === 1;
  }

  async markMerged(
    superseded: string,
    survivor: string,
    expectedVersion: number,
    now: Date,
  ): Promise<boolean> {
    const count = await this.db.$executeRaw`
      UPDATE patient SET merged_into = ${survivor}, merged_at = ${now}, version = version + 1, last_updated = ${now}
      WHERE nhs_number = ${superseded} AND version = ${expectedVersion} AND merged_into IS NULL`;
    if (count !== 1) return false;
    // numbers previously merged into the superseded record now point straight at the survivor
    await this.db
      .$executeRaw`UPDATE patient SET merged_into = ${survivor} WHERE merged_into = ${superseded}`;
    await this.db.patientName.updateMany({
      where: { nhsNumber: superseded },
      data: { active: false },
    });
    await this.db.patientAddress.updateMany({
      where: { nhsNumber: superseded },
      data: { active: false },
    });
    return true;
  }

  /** Versions of a record and of every record merged into it, newest first. */
  async history(
    nhsNumbers: string[],
    offset: number,
    limit: number,
  ): Promise<PatientVersionEntry[]> {
    const rows = await this.db.patientVersion.findMany({
      where: { nhsNumber: { in: nhsNumbers } },
      orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }],
      skip: offset,
      take: limit,
    });
    return rows.map(toVersionEntry);
  }

  async version(
    nhsNumbers: string[],
    version: number,
    preferred: string,
  ): Promise<PatientVersionEntry | undefined> {
    const rows = await this.db.patientVersion.findMany({
      where: { nhsNumber: { in: nhsNumbers }, version },
    });
    const row = rows.find((r) => r.nhsNumber === preferred) ?? rows[0];
    return row ? toVersionEntry(row) : undefined;
  }

  /** NHS numbers of one listing page (one more than `take`: the caller pages on it). */
  async listNumbers(q: ListingQuery): Promise<string[]> {
    const rows = await this.db.$queryRaw<Array<{ nhs_number: string }>>(Prisma.sql`
      SELECT p.nhs_number FROM patient p
      WHERE p.merged_into IS NULL AND p.nhs_number > ${q.after}
        ${q.region ? Prisma.sql`AND p.gp_region = ${q.region}` : Prisma.empty}
        ${q.restricted ? Prisma.empty : Prisma.sql`AND p.confidentiality = 'normal'`}
        ${q.updatedSince ? Prisma.sql`AND p.last_updated >= ${q.updatedSince}` : Prisma.empty}
      ORDER BY p.nhs_number LIMIT ${q.take + 1}`);
    return rows.map((r) => r.nhs_number);
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
