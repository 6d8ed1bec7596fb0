import type { RawSql } from '@trellis/database';

import type { Prisma } from '../../generated/prisma/client';
import type {
  Actor,
  GpRegistration,
  HumanName,
  Address,
  ContactPoint,
  PatientRecord,
  PatientVersionEntry,
  TraceQuery,
  TraceResult,
} from './patient.model';
import type { EventRow, PatientSqlRepository, VersionMeta } from './patient-sql.repository';
import type {
  ListingQuery,
  NewPatient,
  PatientsRepository,
  RecordChange,
} from './patients.repository';

/** Every method of the repository the rules call. */
type RepositoryContract = Pick<
  PatientsRepository,
  | 'inTransaction'
  | 'inSqlTransaction'
  | 'inRegistrationTransaction'
  | 'read'
  | 'find'
  | 'findMany'
  | 'trace'
  | 'lockRegistrationKeys'
  | 'lockRow'
  | 'insertPatient'
  | 'appendVersion'
  | 'bumpVersion'
  | 'writeNames'
  | 'writeAddresses'
  | 'writeTelecom'
  | 'setBirthDateOnNames'
  | 'changeGp'
  | 'markMerged'
  | 'history'
  | 'version'
  | 'listNumbers'
>;

/**
 * Test support for the patient rules: the repository over records held in memory, with the
 * contract the rules rely on (compare-and-set versions, merge pointers, history, one unit of work
 * per transaction) and no SQL — the statements themselves are integration-tested (apps/identity/test).
 */
export class InMemoryPatients implements RepositoryContract {
  readonly records: Map<string, PatientRecord>;
  /** Every trace asked for, in order (the duplicate check's included). */
  readonly traces: TraceQuery[] = [];
  /** Every version appended, in order, with the record as it was appended. */
  readonly appended: Array<{ record: PatientRecord; meta: VersionMeta; at: Date }> = [];
  /** Registration keys and rows locked, in the order taken. */
  readonly locks: string[] = [];
  /** Outbox rows written with an insert (a sink with rowOf), in order. */
  readonly outboxRows: EventRow[] = [];
  /** Units of work opened. */
  transactions = 0;

  constructor(
    records: PatientRecord[] = [],
    private readonly traceResult: TraceResult = { candidates: [], totalAboveThreshold: 0 },
  ) {
    this.records = new Map(records.map((r) => [r.nhsNumber, r]));
  }

  // one unit of work: this same store; the transaction handle is only passed on to the ports
  inTransaction<R>(
    work: (repo: PatientsRepository, tx: Prisma.TransactionClient) => Promise<R>,
  ): Promise<R> {
    this.transactions++;
    return work(this as unknown as PatientsRepository, {} as Prisma.TransactionClient);
  }

  inSqlTransaction<R>(work: (repo: PatientSqlRepository, tx: RawSql) => Promise<R>): Promise<R> {
    return this.inTransaction(work);
  }

  inRegistrationTransaction<R>(
    lockKeys: string[],
    work: (repo: PatientSqlRepository, tx: RawSql) => Promise<R>,
  ): Promise<R> {
    this.locks.push(...lockKeys);
    return this.inTransaction(work);
  }

  read(nhsNumber: string): Promise<PatientRecord | undefined> {
    return this.find(nhsNumber);
  }

  find(nhsNumber: string): Promise<PatientRecord | undefined> {
    return Promise.resolve(this.current(nhsNumber));
  }

  findMany(nhsNumbers: string[]): Promise<Map<string, PatientRecord>> {
    const found = nhsNumbers
      .map((n) => this.current(n))
      .filter((r): r is PatientRecord => r !== undefined);
    return Promise.resolve(new Map(found.map((r) => [r.nhsNumber, r])));
  }

  trace(query: TraceQuery): Promise<TraceResult> {
    this.traces.push(query);
    return Promise.resolve(this.traceResult);
  }

  lockRegistrationKeys(keys: string[]): Promise<void> {
    this.locks.push(...keys);
    return Promise.resolve();
  }

  lockRow(nhsNumber: string): Promise<{ version: number } | undefined> {
    this.locks.push(nhsNumber);
    const r = this.records.get(nhsNumber);
    return Promise.resolve(r ? { version: r.version } : undefined);
  }

  insertPatient(
    p: NewPatient,
    now: Date,
    first?: VersionMeta,
    event?: (record: PatientRecord) => EventRow,
  ): Promise<PatientRecord> {
    const record: PatientRecord = {
      nhsNumber: p.nhsNumber,
      names: p.names,
      gender: p.gender,
      birthDate: p.birthDate,
      addresses: p.addresses,
      telecom: p.telecom,
      ...(p.gp ? { gp: p.gp } : {}),
      gpHistory: p.gp ? [p.gp] : [],
      confidentiality: p.confidentiality,
      version: 1,
      lastUpdated: now,
      supersededNhsNumbers: [],
    };
    this.records.set(p.nhsNumber, record);
    if (first) this.appended.push({ record, meta: first, at: now });
    if (event) this.outboxRows.push(event(record));
    return Promise.resolve(record);
  }

  appendVersion(record: PatientRecord, meta: VersionMeta, now: Date): Promise<void> {
    this.appended.push({ record, meta, at: now });
    return Promise.resolve();
  }

  bumpVersion(
    nhsNumber: string,
    expected: number,
    now: Date,
    change: RecordChange = {},
  ): Promise<boolean> {
    const r = this.records.get(nhsNumber);
    if (!r || r.version !== expected) return Promise.resolve(false);
    this.records.set(nhsNumber, { ...r, ...change, version: expected + 1, lastUpdated: now });
    return Promise.resolve(true);
  }

  writeNames(nhsNumber: string, names: HumanName[]): Promise<void> {
    return this.patch(nhsNumber, { names });
  }

  writeAddresses(nhsNumber: string, addresses: Address[]): Promise<void> {
    return this.patch(nhsNumber, { addresses });
  }

  writeTelecom(nhsNumber: string, telecom: ContactPoint[]): Promise<void> {
    return this.patch(nhsNumber, { telecom });
  }

  setBirthDateOnNames(): Promise<void> {
    return Promise.resolve();
  }

  changeGp(nhsNumber: string, next: GpRegistration | undefined, effective: string): Promise<void> {
    const r = this.records.get(nhsNumber);
    if (!r) return Promise.resolve();
    const ended = r.gpHistory.map((g) =>
      g.period.end ? g : { ...g, period: { ...g.period, end: effective } },
    );
    const started = next ? { ...next, period: { start: effective } } : undefined;
    const changed: PatientRecord = { ...r, gpHistory: started ? [...ended, started] : ended };
    if (started) changed.gp = started;
    else delete changed.gp;
    this.records.set(nhsNumber, changed);
    return Promise.resolve();
  }

  markMerged(
    superseded: string,
    survivor: string,
    expectedVersion: number,
    now: Date,
  ): Promise<boolean> {
    const r = this.records.get(superseded);
    if (!r || r.version !== expectedVersion || r.mergedInto) return Promise.resolve(false);
    this.records.set(superseded, {
      ...r,
      mergedInto: survivor,
      version: r.version + 1,
      lastUpdated: now,
    });
    for (const [n, other] of this.records) {
      if (other.mergedInto === superseded) this.records.set(n, { ...other, mergedInto: survivor });
    }
    return Promise.resolve(true);
  }

  history(nhsNumbers: string[], offset: number, limit: number): Promise<PatientVersionEntry[]> {
    const entries = this.entries(nhsNumbers).reverse();
    return Promise.resolve(entries.slice(offset, offset + limit));
  }

  version(
    nhsNumbers: string[],
    version: number,
    preferred: string,
  ): Promise<PatientVersionEntry | undefined> {
    const rows = this.entries(nhsNumbers).filter((e) => e.version === version);
    return Promise.resolve(rows.find((e) => e.nhsNumber === preferred) ?? rows[0]);
  }

  listNumbers(q: ListingQuery): Promise<string[]> {
    const numbers = [...this.records.values()]
      .filter(
        (r) =>
          !r.mergedInto &&
          r.nhsNumber > q.after &&
          (!q.region || r.gp?.region === q.region) &&
          (q.restricted || r.confidentiality === 'normal') &&
          (!q.updatedSince || r.lastUpdated >= q.updatedSince),
      )
      .map((r) => r.nhsNumber)
      .sort();
    return Promise.resolve(numbers.slice(0, q.take + 1));
  }

  /** The record as stored, with the numbers merged into it (as the SQL read aggregates them). */
  private current(nhsNumber: string): PatientRecord | undefined {
    const r = this.records.get(nhsNumber);
    if (!r) return undefined;
    const merged = [...this.records.values()]
      .filter((o) => o.mergedInto === nhsNumber)
      .map((o) => o.nhsNumber)
      .sort();
    return { ...r, supersededNhsNumbers: merged };
  }

  private patch(nhsNumber: string, fields: Partial<PatientRecord>): Promise<void> {
    const r = this.records.get(nhsNumber);
    if (r) this.records.set(nhsNumber, { ...r, ...fields });
    return Promise.resolve();
  }

  private entries(nhsNumbers: string[]): PatientVersionEntry[] {
    return this.appended
      .filter((a) => nhsNumbers.includes(a.record.nhsNumber))
      .map((a) => ({
        nhsNumber: a.record.nhsNumber,
        version: a.record.version,
        change: a.meta.change,
        changedFields: a.meta.changedFields,
        changedBy: a.meta.changedBy,
        recordedAt: a.at,
        snapshot: a.record,
      }));
  }
}

/** A caller of the patient rules' tests: one GP system with these scopes. */
export function testActor(scopes: string[] = []): Actor {
  return { systemId: 'sys-1', odsCode: 'A81001', region: 'north-east', scopes };
}

/** A stored record of the patient rules' tests: version 1, no GP unless `over` gives one. */
export function testRecord(nhsNumber: string, over: Partial<PatientRecord> = {}): PatientRecord {
  return {
    nhsNumber,
    names: [{ use: 'usual', family: 'Hargreaves', given: ['Oliver'], prefix: [] }],
    gender: 'male',
    birthDate: '2010-05-20',
    addresses: [],
    telecom: [],
    gpHistory: [],
    confidentiality: 'normal',
    version: 1,
    lastUpdated: new Date('2026-01-01T00:00:00Z'),
    supersededNhsNumbers: [],
    ...over,
  };
}

/** What the patient rules' tests register: the person of `testRecord`, no GP. */
export const TEST_DETAILS = {
  names: [{ use: 'usual' as const, family: 'Hargreaves', given: ['Oliver'], prefix: [] }],
  gender: 'male' as const,
  birthDate: '2010-05-20',
  addresses: [],
  telecom: [],
  confidentiality: 'normal' as const,
};
