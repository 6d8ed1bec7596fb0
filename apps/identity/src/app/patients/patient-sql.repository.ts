import {
  PREPARED_MARKER,
  type RawSql,
  TransactionalRepository,
  type TransactionRoot,
} from '@trellis/database';
import { escapeLiteral } from 'pg';

import { Prisma } from '../../generated/prisma/client';
import type { PatientRecord, TraceQuery, TraceResult } from './patient.model';
import {
  type EventRow,
  insertPatientSql,
  type NewPatient,
  newRecord,
  type RecordRow,
  recordSql,
  rowToRecord,
  type VersionMeta,
} from './record.sql';
import { matchedOn, traceSql, traceTerms, type TraceRow } from './trace.sql';

export type { EventRow, VersionMeta } from './record.sql';

/**
 * lockRegistrationKeys as parameterless statements for a pool transaction's opening (sent with
 * BEGIN in one message): the same lock ids (hashtextextended of each key), one statement per key
 * in the given order.
 */
export function registrationLockStatements(keys: readonly string[]): string[] {
  return keys.map((k) => `SELECT pg_advisory_xact_lock(hashtextextended(${escapeLiteral(k)}, 0))`);
}

/**
 * The patient statements that need raw SQL only, so they run alike on a Prisma client or
 * interactive transaction and on a pool transaction (registration's hot path, libs/database
 * inPoolTransaction): record reads, the trace, the registration locks, the insert and the history
 * append. PatientsRepository adds the writes through Prisma's models; its units of work are the
 * shared ones (libs/database TransactionalRepository: `Root`, the Prisma client, opens them). On a
 * pool transaction `Root` is `never`: it opens none, its unit of work is the one it was given.
 */
export class PatientSqlRepository<
  Tx extends RawSql = RawSql,
  Root extends TransactionRoot<Tx> & RawSql = never,
> extends TransactionalRepository<Tx, Root> {
  /** The raw-SQL surface of what this repository runs on (client, Prisma or pool transaction). */
  protected get sql(): RawSql {
    return this.db;
  }

  /**
   * Serialises registrations that could be duplicates of each other (transaction-scoped): every
   * key in one statement, taken in the given (sorted) order so two registrations cannot deadlock.
   */
  async lockRegistrationKeys(keys: string[]): Promise<void> {
    await this.sql.$queryRaw`/* prepared:identity_registration_lock */
      SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))::int AS locked
      FROM (SELECT k FROM unnest(${keys}::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i) AS ordered`;
  }

  /**
   * A new patient with its names, addresses, telecom and GP registration in one statement (one
   * round trip instead of eight; the child rows' foreign keys are checked at its end), with `first`
   * its first history entry (as appendVersion writes it) and with `event` its outbox event, both
   * built from the record predicted from the request (newRecord). Returns the record as `find`
   * would read it, built from the rows the statement inserted (same columns, same aggregation), so
   * registration needs no read back. When that record differs from the prediction, the version's
   * snapshot and the event are rewritten from it in the same transaction.
   */
  async insertPatient(
    p: NewPatient,
    now: Date,
    first?: VersionMeta,
    event?: (record: PatientRecord) => EventRow,
  ): Promise<PatientRecord> {
    // one round trip less per piece written in the same statement (docs/performance.md)
    const predicted = first || event ? newRecord(p, now) : undefined;
    const snapshot = predicted && JSON.stringify(predicted);
    const written = predicted && event?.(predicted);
    const rows = await this.sql.$queryRaw<RecordRow[]>(
      insertPatientSql(p, now, first && snapshot ? { meta: first, snapshot } : undefined, written),
    );
    const record = rowToRecord(rows[0]!);
    const stored = snapshot === undefined ? undefined : JSON.stringify(record);
    if (stored === snapshot) return record;
    // the rows read back otherwise than predicted: the history keeps the record as stored, as
    // appendVersion would have written it, and the event tells it
    if (first) {
      await this.sql.$executeRaw`UPDATE patient_version SET snapshot = ${stored}::jsonb
        WHERE nhs_number = ${record.nhsNumber} AND version = ${record.version}::int`;
    }
    if (written && event) {
      const r = event(record);
      await this.sql.$executeRaw`UPDATE outbox_events
        SET id = ${r.id}::uuid, topic = ${r.topic}, key = ${r.key}, ce_type = ${r.type},
            ce_source = ${r.source}, ce_subject = ${r.subject}, ce_time = ${r.time}::timestamptz,
            ce_dataschema = ${r.dataschema}, ods_code = ${r.odsCode}, region = ${r.region},
            regions = ${r.regions}::text[], headers = ${r.headers}::jsonb, payload = ${r.payload}
        WHERE id = ${written.id}::uuid`;
    }
    return record;
  }

  /**
   * One round trip: the patient row with its names, addresses, telecom, GP periods and merged
   * numbers. A named statement: planning its five sub-selects cost PostgreSQL ≈ 3× executing them
   * (docs/performance.md), so each connection plans it once.
   */
  async find(nhsNumber: string): Promise<PatientRecord | undefined> {
    const rows = await this.sql.$queryRaw<RecordRow[]>(
      recordSql(Prisma.sql`p.nhs_number = ${nhsNumber}`, 'identity_patient_find'),
    );
    return rows[0] ? rowToRecord(rows[0]) : undefined;
  }

  async findMany(nhsNumbers: string[]): Promise<Map<string, PatientRecord>> {
    if (nhsNumbers.length === 0) return new Map();
    const rows = await this.sql.$queryRaw<RecordRow[]>(
      recordSql(Prisma.sql`p.nhs_number = ANY(${nhsNumbers}::text[])`),
    );
    return new Map(rows.map((r) => [r.nhs_number, rowToRecord(r)]));
  }

  /** Locks the row for the rest of the transaction (merge, deceased) and returns its version. */
  async lockRow(nhsNumber: string): Promise<{ version: number } | undefined> {
    const rows = await this.sql.$queryRaw<Array<{ version: number }>>`
      SELECT version FROM patient WHERE nhs_number = ${nhsNumber} FOR UPDATE`;
    return rows[0];
  }

  async appendVersion(record: PatientRecord, meta: VersionMeta, now: Date): Promise<void> {
    await this.sql.$queryRaw`/* prepared:identity_version_append */
      INSERT INTO patient_version (nhs_number, version, change, changed_fields, changed_by,
                                   changed_by_ods, recorded_at, snapshot, reason, overridden_candidates)
      VALUES (${record.nhsNumber}, ${record.version}::int, ${meta.change}, ${meta.changedFields}::text[],
              ${meta.changedBy}, ${meta.changedByOds}, ${now}::timestamptz, ${JSON.stringify(record)}::jsonb,
              ${meta.reason ?? null}, ${meta.overriddenCandidates ?? []}::text[])
      RETURNING id::text AS id`;
  }

  /**
   * `prepared` names the statement (per connection, per distinct text): for a caller whose
   * queries take few shapes — registration's duplicate check — PostgreSQL then stops planning the
   * trace on every call, which cost it several times the execution (docs/performance.md).
   */
  async trace(query: TraceQuery, prepared?: string): Promise<TraceResult> {
    const terms = traceTerms(query);
    const sql = traceSql(terms, query.minScore, query.maxResults, query.dominanceMargin ?? 1);
    if (!sql) return { candidates: [], totalAboveThreshold: 0 };
    const rows = await this.sql.$queryRaw<TraceRow[]>(
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
