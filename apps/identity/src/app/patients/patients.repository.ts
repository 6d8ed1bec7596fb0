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
const fromDate = (d: Date) => d.toISOString().slice(0, 10);
const optDate = (d: string | undefined) => (d ? toDate(d) : null);
const toPeriod = (start: Date | null, end: Date | null): Period | undefined =>
  start || end ? { ...(start ? { start: fromDate(start) } : {}), ...(end ? { end: fromDate(end) } : {}) } : undefined;

const patientInclude = {
  names: { orderBy: { position: 'asc' } },
  addresses: { orderBy: { position: 'asc' } },
  telecom: { orderBy: { position: 'asc' } },
  gpRegistrations: { orderBy: [{ periodStart: 'desc' }, { id: 'desc' }] },
  superseded: { select: { nhsNumber: true }, orderBy: { nhsNumber: 'asc' } },
} satisfies Prisma.PatientInclude;

type PatientRow = Prisma.PatientGetPayload<{ include: typeof patientInclude }>;

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

/** The only place that talks to Prisma for patients. */
export class PatientsRepository {
  /** Serialises registrations that could be duplicates of each other (transaction-scoped). */
  async lockRegistrationKeys(tx: Db, keys: string[]): Promise<void> {
    for (const key of keys) {
      await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))::text AS locked`;
    }
  }

  async insertPatient(tx: Db, p: NewPatient, now: Date): Promise<void> {
    await tx.patient.create({
      data: {
        nhsNumber: p.nhsNumber,
        gender: p.gender,
        birthDate: toDate(p.birthDate),
        confidentiality: p.confidentiality,
        gpOdsCode: p.gp?.odsCode ?? null,
        gpRegion: p.gp?.region ?? null,
        version: 1,
        createdAt: now,
        lastUpdated: now,
        registrationKey: p.registrationKey,
        duplicateOverride: p.duplicateOverride,
      },
    });
    await this.writeNames(tx, p.nhsNumber, p.names, p.birthDate);
    await this.writeAddresses(tx, p.nhsNumber, p.addresses);
    await this.writeTelecom(tx, p.nhsNumber, p.telecom);
    if (p.gp) {
      await tx.gpRegistration.create({
        data: {
          nhsNumber: p.nhsNumber,
          odsCode: p.gp.odsCode,
          region: p.gp.region,
          periodStart: toDate(p.gp.period.start!),
        },
      });
    }
  }

  async writeNames(tx: Db, nhsNumber: string, names: HumanName[], birthDate: string): Promise<void> {
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
    await tx.patientName.updateMany({ where: { nhsNumber }, data: { birthDate: toDate(birthDate) } });
  }

  /** Ends the current GP registration and starts a new one (odsCode undefined = deregister). */
  async changeGp(tx: Db, nhsNumber: string, next: GpRegistration | undefined, effective: string): Promise<void> {
    await tx.gpRegistration.updateMany({
      where: { nhsNumber, periodEnd: null },
      data: { periodEnd: toDate(effective) },
    });
    if (next) {
      await tx.gpRegistration.create({
        data: { nhsNumber, odsCode: next.odsCode, region: next.region, periodStart: toDate(effective) },
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

  async findRow(db: Db, nhsNumber: string): Promise<PatientRow | null> {
    return db.patient.findUnique({ where: { nhsNumber }, include: patientInclude });
  }

  async find(db: Db, nhsNumber: string): Promise<PatientRecord | undefined> {
    const row = await this.findRow(db, nhsNumber);
    return row ? toRecord(row) : undefined;
  }

  async findMany(db: Db, nhsNumbers: string[]): Promise<Map<string, PatientRecord>> {
    if (nhsNumbers.length === 0) return new Map();
    const rows = await db.patient.findMany({ where: { nhsNumber: { in: nhsNumbers } }, include: patientInclude });
    return new Map(rows.map((r) => [r.nhsNumber, toRecord(r)]));
  }

  /** Locks the row for the rest of the transaction (merge, deceased) and returns its version. */
  async lockRow(tx: Db, nhsNumber: string): Promise<{ version: number } | undefined> {
    const rows = await tx.$queryRaw<Array<{ version: number }>>`
      SELECT version FROM patient WHERE nhs_number = ${nhsNumber} FOR UPDATE`;
    return rows[0];
  }

  async markMerged(tx: Db, superseded: string, survivor: string, expectedVersion: number, now: Date): Promise<boolean> {
    const count = await tx.$executeRaw`
      UPDATE patient SET merged_into = ${survivor}, merged_at = ${now}, version = version + 1, last_updated = ${now}
      WHERE nhs_number = ${superseded} AND version = ${expectedVersion} AND merged_into IS NULL`;
    if (count !== 1) return false;
    // numbers previously merged into the superseded record now point straight at the survivor
    await tx.$executeRaw`UPDATE patient SET merged_into = ${survivor} WHERE merged_into = ${superseded}`;
    await tx.patientName.updateMany({ where: { nhsNumber: superseded }, data: { active: false } });
    await tx.patientAddress.updateMany({ where: { nhsNumber: superseded }, data: { active: false } });
    return true;
  }

  async appendVersion(tx: Db, record: PatientRecord, meta: VersionMeta, now: Date): Promise<void> {
    await tx.patientVersion.create({
      data: {
        nhsNumber: record.nhsNumber,
        version: record.version,
        change: meta.change,
        changedFields: meta.changedFields,
        changedBy: meta.changedBy,
        changedByOds: meta.changedByOds,
        recordedAt: now,
        snapshot: snapshotJson(record),
        reason: meta.reason ?? null,
        overriddenCandidates: meta.overriddenCandidates ?? [],
      },
    });
  }

  /** Versions of a record and of every record merged into it, newest first. */
  async history(db: Db, nhsNumbers: string[], offset: number, limit: number): Promise<PatientVersionEntry[]> {
    const rows = await db.patientVersion.findMany({
      where: { nhsNumber: { in: nhsNumbers } },
      orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }],
      skip: offset,
      take: limit,
    });
    return rows.map(toVersionEntry);
  }

  async version(db: Db, nhsNumbers: string[], version: number, preferred: string): Promise<PatientVersionEntry | undefined> {
    const rows = await db.patientVersion.findMany({ where: { nhsNumber: { in: nhsNumbers }, version } });
    const row = rows.find((r) => r.nhsNumber === preferred) ?? rows[0];
    return row ? toVersionEntry(row) : undefined;
  }

  async trace(db: Db, query: TraceQuery): Promise<TraceResult> {
    const terms = traceTerms(query);
    const sql = traceSql(terms, query.minScore, query.maxResults, query.dominanceMargin ?? 1);
    if (!sql) return { candidates: [], totalAboveThreshold: 0 };
    const rows = await db.$queryRaw<TraceRow[]>(sql);
    return {
      candidates: rows.map((r) => ({ nhsNumber: r.nhs_number, score: Number(r.score), matchedOn: matchedOn(r) })),
      totalAboveThreshold: rows.length > 0 ? Number(rows[0]!.total) : 0,
    };
  }
}

function toRecord(row: PatientRow): PatientRecord {
  const gps: GpRegistration[] = row.gpRegistrations.map((g) => ({
    odsCode: g.odsCode,
    region: g.region,
    period: toPeriod(g.periodStart, g.periodEnd) ?? {},
  }));
  const current = row.gpRegistrations.findIndex((g) => g.periodEnd === null);
  return {
    nhsNumber: row.nhsNumber,
    names: row.names.map((n) => ({
      use: n.use as NameUse,
      family: n.family,
      given: n.given,
      prefix: n.prefix,
      ...withPeriod(toPeriod(n.periodStart, n.periodEnd)),
    })),
    gender: row.gender as Gender,
    birthDate: fromDate(row.birthDate),
    ...(row.deceasedAt ? { deceasedAt: row.deceasedAt } : {}),
    addresses: row.addresses.map((a) => ({
      use: a.use as AddressUse,
      lines: a.lines,
      city: a.city,
      district: a.district,
      postcode: a.postcode,
      ...withPeriod(toPeriod(a.periodStart, a.periodEnd)),
    })),
    telecom: row.telecom.map((t) => ({
      system: t.system as TelecomSystem,
      value: t.value,
      use: t.use as TelecomUse,
      ...withPeriod(toPeriod(t.periodStart, t.periodEnd)),
    })),
    ...(current >= 0 ? { gp: gps[current] } : {}),
    gpHistory: gps.filter((_, i) => i !== current),
    confidentiality: row.confidentiality as Confidentiality,
    version: row.version,
    lastUpdated: row.lastUpdated,
    supersededNhsNumbers: row.superseded.map((s) => s.nhsNumber),
    ...(row.mergedInto ? { mergedInto: row.mergedInto } : {}),
  };
}

function withPeriod(period: Period | undefined): { period?: Period } {
  return period ? { period } : {};
}

function snapshotJson(record: PatientRecord): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(record)) as Prisma.InputJsonValue;
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
  const snap = row.snapshot as unknown as PatientRecord & { lastUpdated: string; deceasedAt?: string };
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
