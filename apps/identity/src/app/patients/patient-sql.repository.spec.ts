import type { RawSql, SqlStatement } from '@trellis/database';

import {
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

describe('PatientSqlRepository.registerPatient (the number drawn by the insert)', () => {
  const range = { name: 'test_range', first: 999000000, last: 999999999 };
  const { nhsNumber: _drawn, ...withoutNumber } = patient;

  it('draws the number in the insert and keeps the predicted snapshot when it matches', async () => {
    const sql = fakeSql(answeredRow());
    const record = await new PatientSqlRepository(sql).registerPatient(
      withoutNumber,
      range,
      now,
      first,
    );
    expect(record!.nhsNumber).toBe(patient.nhsNumber);
    expect(JSON.stringify(record)).toBe(JSON.stringify(newRecord(patient, now)));
    expect(sql.statements).toHaveLength(1);
    expect(sql.statements[0]!.text).toContain("nhs_number_range_next('test_range')");
    // the snapshot's number is set by the statement to the one it drew
    expect(sql.statements[0]!.text).toContain('jsonb_set(');
    expect(sql.statements[0]!.values).not.toContain(patient.nhsNumber);
  });

  it('corrects the snapshot when the stored record differs from the prediction', async () => {
    const sql = fakeSql(answeredRow({ birth_date: '1964-07-20' }));
    const record = await new PatientSqlRepository(sql).registerPatient(
      withoutNumber,
      range,
      now,
      first,
    );
    expect(sql.statements).toHaveLength(2);
    expect(sql.statements[1]!.values).toEqual([JSON.stringify(record), patient.nhsNumber, 1]);
  });

  it('answers undefined when the statement drew no usable number (nothing inserted)', async () => {
    const sql = fakeSql(undefined);
    await expect(
      new PatientSqlRepository(sql).registerPatient(withoutNumber, range, now, first),
    ).resolves.toBeUndefined();
    expect(sql.statements).toHaveLength(1);
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
