import type { RawSql, SqlStatement } from '@trellis/database';

import type { PatientRecord } from './patient.model';
import {
  type EventRow,
  PatientSqlRepository,
  registrationLockStatements,
  type VersionMeta,
} from './patient-sql.repository';
import { newRecord, type NewPatient, type RecordRow } from './record.sql';

const now = new Date('2026-12-07T21:00:00.123Z');
const patient: NewPatient = {
  nhsNumber: '9990000018',
  names: [
    { use: 'usual', family: 'Achterberg', given: ['Liesbeth', 'Anna'], prefix: [] },
    {
      use: 'maiden',
      family: "O'Brien",
      given: ['Liesbeth'],
      prefix: ['Ms'],
      period: { end: '1990-06-01' },
    },
  ],
  gender: 'female',
  birthDate: '1964-07-19',
  addresses: [
    { use: 'home', lines: ['1 High Street'], city: 'Leeds', district: '', postcode: 'LS1 4AP' },
  ],
  telecom: [{ system: 'phone', value: '0113 496 0000', use: 'home' }],
  gp: { odsCode: 'B82001', region: 'yorkshire', period: { start: '2019-09-09' } },
  confidentiality: 'normal',
  registrationKey: 'k',
  duplicateOverride: false,
};
const first: VersionMeta = {
  change: 'registered',
  changedFields: [],
  changedBy: 'sys',
  changedByOds: 'B82001',
};

/** The row PostgreSQL answers for `patient` (what insertPatientSql's final SELECT builds). */
function answeredRow(over: Partial<RecordRow> = {}): RecordRow {
  return {
    nhs_number: patient.nhsNumber,
    gender: 'female',
    birth_date: '1964-07-19',
    deceased_at: null,
    confidentiality: 'normal',
    version: 1,
    last_updated: now,
    merged_into: null,
    names: [
      {
        use: 'usual',
        family: 'Achterberg',
        given: ['Liesbeth', 'Anna'],
        prefix: [],
        ps: null,
        pe: null,
      },
      {
        use: 'maiden',
        family: "O'Brien",
        given: ['Liesbeth'],
        prefix: ['Ms'],
        ps: null,
        pe: '1990-06-01',
      },
    ],
    addresses: [
      {
        use: 'home',
        lines: ['1 High Street'],
        city: 'Leeds',
        district: '',
        postcode: 'LS1 4AP',
        ps: null,
        pe: null,
      },
    ],
    telecom: [{ system: 'phone', value: '0113 496 0000', use: 'home', ps: null, pe: null }],
    gps: [{ ods: 'B82001', region: 'yorkshire', ps: '2019-09-09', pe: null }],
    superseded: [],
    ...over,
  };
}

/** A RawSql that answers `row` to the insert and records every statement. */
function fakeSql(row: RecordRow | undefined): RawSql & { statements: SqlStatement[] } {
  const statements: SqlStatement[] = [];
  const record = (q: TemplateStringsArray | SqlStatement, values: unknown[]): SqlStatement => {
    const s = 'raw' in q ? { text: q.join('?'), values } : q;
    statements.push(s);
    return s;
  };
  return {
    statements,
    $queryRaw<T>(q: TemplateStringsArray | SqlStatement, ...values: unknown[]) {
      record(q, values);
      return Promise.resolve((row ? [row] : []) as T);
    },
    $executeRaw(q: TemplateStringsArray | SqlStatement, ...values: unknown[]) {
      record(q, values);
      return Promise.resolve(1);
    },
  };
}

describe('PatientSqlRepository.insertPatient', () => {
  it('predicts the record the insert answers, so the snapshot is its JSON', async () => {
    const sql = fakeSql(answeredRow());
    const record = await new PatientSqlRepository(sql).insertPatient(patient, now, first);
    expect(JSON.stringify(newRecord(patient, now))).toBe(JSON.stringify(record));
    // one statement: the version is a part of the insert, its snapshot the predicted record
    expect(sql.statements).toHaveLength(1);
    expect(sql.statements[0]!.text).toContain('INSERT INTO patient_version');
    expect(sql.statements[0]!.values).toContain(JSON.stringify(record));
  });

  it('corrects the snapshot to the record as stored when the rows read back otherwise', async () => {
    const sql = fakeSql(answeredRow({ birth_date: '1964-07-20' }));
    const record = await new PatientSqlRepository(sql).insertPatient(patient, now, first);
    expect(sql.statements).toHaveLength(2);
    expect(sql.statements[1]!.text).toContain('UPDATE patient_version SET snapshot');
    expect(sql.statements[1]!.values).toEqual([JSON.stringify(record), patient.nhsNumber, 1]);
  });

  it('writes no version without one', async () => {
    const sql = fakeSql(answeredRow());
    await new PatientSqlRepository(sql).insertPatient(patient, now);
    expect(sql.statements).toHaveLength(1);
    expect(sql.statements[0]!.text).not.toContain('patient_version');
  });
});

describe('PatientSqlRepository.insertPatient with its event', () => {
  /** An event row per record: its key and payload carry what the event reads from the record. */
  const eventRows: PatientRecord[] = [];
  const rowFor = (r: PatientRecord): EventRow => {
    eventRows.push(r);
    return {
      id: `00000000-0000-4000-8000-00000000000${eventRows.length}`,
      topic: 'trellis.identity.patient.v1',
      key: r.nhsNumber,
      type: 'uk.nhs.trellis.identity.PatientRegistered.v1',
      subject: r.nhsNumber,
      time: now.toISOString(),
      dataschema: null,
      odsCode: r.gp?.odsCode ?? null,
      region: r.gp?.region ?? null,
      regions: [],
      headers: '{}',
      payload: new TextEncoder().encode(r.birthDate),
      source: '/trellis/identity',
    };
  };
  beforeEach(() => eventRows.splice(0));

  it('writes the event, built from the predicted record, in the insert statement with its NOTIFY', async () => {
    const sql = fakeSql(answeredRow());
    const record = await new PatientSqlRepository(sql).insertPatient(patient, now, first, rowFor);
    expect(sql.statements).toHaveLength(1);
    expect(sql.statements[0]!.text).toContain('INSERT INTO outbox_events');
    expect(sql.statements[0]!.text).toContain('pg_notify(');
    expect(sql.statements[0]!.values).toContain('00000000-0000-4000-8000-000000000001');
    expect(eventRows.map((r) => JSON.stringify(r))).toEqual([JSON.stringify(record)]);
  });

  it('rewrites the snapshot and the event from the stored record when it differs', async () => {
    const sql = fakeSql(answeredRow({ birth_date: '1964-07-20' }));
    const record = await new PatientSqlRepository(sql).insertPatient(patient, now, first, rowFor);
    expect(eventRows.map((r) => r.birthDate)).toEqual(['1964-07-19', '1964-07-20']);
    expect(sql.statements).toHaveLength(3);
    expect(sql.statements[1]!.text).toContain('UPDATE patient_version SET snapshot');
    expect(sql.statements[2]!.text).toContain('UPDATE outbox_events');
    expect(sql.statements[2]!.values).toEqual(
      expect.arrayContaining([
        '00000000-0000-4000-8000-000000000002',
        new TextEncoder().encode(record.birthDate),
        // the row written by the insert is the one replaced
        '00000000-0000-4000-8000-000000000001',
      ]),
    );
  });
});

describe('registrationLockStatements', () => {
  it('locks each key in order, as escaped literals', () => {
    expect(registrationLockStatements(['identity:register:1964-07-19', "o'k"])).toEqual([
      "SELECT pg_advisory_xact_lock(hashtextextended('identity:register:1964-07-19', 0))",
      "SELECT pg_advisory_xact_lock(hashtextextended('o''k', 0))",
    ]);
  });
});
