import { PREPARED_MARKER } from '@trellis/database';
import { OUTBOX_CHANNEL, type OutboxRow } from '@trellis/events';

import { Prisma } from '../../generated/prisma/client';
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
  Period,
  TelecomSystem,
  TelecomUse,
  VersionChange,
} from './patient.model';

/**
 * The patient record in SQL: the one-statement read (the patient row plus json_agg of each child
 * table) and the one-statement insert of a new patient, which answers the same row shape from the
 * rows it inserted; both map to a PatientRecord with rowToRecord.
 */

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

/** What a history entry records besides the snapshot. */
export interface VersionMeta {
  change: VersionChange;
  changedFields: string[];
  changedBy: string;
  changedByOds: string;
  reason?: string;
  overriddenCandidates?: string[];
}

/** An event's outbox row (libs/events outboxRow) with its ce_source, for the insert to write. */
export interface EventRow extends OutboxRow {
  source: string;
}

/** A registration's first history entry, written by the insert statement itself. */
export interface FirstVersion {
  meta: VersionMeta;
  /** JSON of the record the insert is expected to answer (newRecord) */
  snapshot: string;
}

export interface RecordRow {
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

/** A RecordRow's columns, read from the patient row `p` and the child rows `n`, `a`, `t`, `g`. */
const RECORD_COLUMNS = Prisma.sql`p.nhs_number, p.gender::text AS gender, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.deceased_at,
           p.confidentiality::text AS confidentiality, p.version, p.last_updated, p.merged_into`;
const NAMES_JSON = Prisma.sql`json_agg(json_build_object('use', n.use, 'family', n.family, 'given', n.given, 'prefix', n.prefix,
                       'ps', n.period_start, 'pe', n.period_end) ORDER BY n.position)`;
const ADDRESSES_JSON = Prisma.sql`json_agg(json_build_object('use', a.use, 'lines', a.lines, 'city', a.city, 'district', a.district,
                       'postcode', a.postcode, 'ps', a.period_start, 'pe', a.period_end) ORDER BY a.position)`;
const TELECOM_JSON = Prisma.sql`json_agg(json_build_object('system', t.system, 'value', t.value, 'use', t.use,
                       'ps', t.period_start, 'pe', t.period_end) ORDER BY t.position)`;
const GPS_JSON = Prisma.sql`json_agg(json_build_object('ods', g.ods_code, 'region', g.region, 'ps', g.period_start, 'pe', g.period_end)
                       ORDER BY g.period_start DESC, g.id DESC)`;

/**
 * The record query: the patient row plus json_agg of each child table, in one statement;
 * `prepared` names it (libs/database PREPARED_MARKER) when its text is fixed.
 */
export function recordSql(where: Prisma.Sql, prepared?: string): Prisma.Sql {
  const marker = prepared ? Prisma.raw(`${PREPARED_MARKER}${prepared} */`) : Prisma.empty;
  return Prisma.sql`${marker}
    SELECT ${RECORD_COLUMNS},
           COALESCE((SELECT ${NAMES_JSON}
                     FROM patient_name n WHERE n.nhs_number = p.nhs_number), '[]') AS names,
           COALESCE((SELECT ${ADDRESSES_JSON}
                     FROM patient_address a WHERE a.nhs_number = p.nhs_number), '[]') AS addresses,
           COALESCE((SELECT ${TELECOM_JSON}
                     FROM patient_telecom t WHERE t.nhs_number = p.nhs_number), '[]') AS telecom,
           COALESCE((SELECT ${GPS_JSON}
                     FROM gp_registration g WHERE g.nhs_number = p.nhs_number), '[]') AS gps,
           ARRAY(SELECT s.nhs_number FROM patient s WHERE s.merged_into = p.nhs_number ORDER BY s.nhs_number) AS superseded
    FROM patient p WHERE ${where}`;
}

/** recordSql by NHS number as plain text ($1), for the pool's named statement. */
export const READ_SQL = recordSql(Prisma.sql`p.nhs_number = ${''}`).text;

const jsonPeriod = (ps: string | null, pe: string | null): Period | undefined =>
  ps || pe ? { ...(ps ? { start: ps } : {}), ...(pe ? { end: pe } : {}) } : undefined;

export function rowToRecord(row: RecordRow): PatientRecord {
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

/**
 * The record a new patient's insert answers, predicted from the request: what rowToRecord makes of
 * the rows insertPatientSql writes (same keys, same order, so the JSON is the same text). Its JSON
 * is the first version's snapshot, written by the insert itself; the caller compares it with the
 * answered record and corrects the snapshot when they differ.
 */
export function newRecord(p: NewPatient, now: Date): PatientRecord {
  const period = (x: { period?: Period }) =>
    withPeriod(jsonPeriod(x.period?.start || null, x.period?.end || null));
  return {
    nhsNumber: p.nhsNumber,
    names: p.names.map((n) => ({
      use: n.use,
      family: n.family,
      given: n.given ?? [],
      prefix: n.prefix ?? [],
      ...period(n),
    })),
    gender: p.gender,
    birthDate: p.birthDate,
    addresses: p.addresses.map((a) => ({
      use: a.use,
      lines: a.lines ?? [],
      city: a.city,
      district: a.district,
      postcode: a.postcode,
      ...period(a),
    })),
    telecom: p.telecom.map((t) => ({
      system: t.system,
      value: t.value,
      use: t.use,
      ...period(t),
    })),
    ...(p.gp
      ? {
          gp: {
            odsCode: p.gp.odsCode,
            region: p.gp.region,
            period: jsonPeriod(p.gp.period.start!, null) ?? {},
          },
        }
      : {}),
    gpHistory: [],
    confidentiality: p.confidentiality,
    version: 1,
    lastUpdated: now,
    supersededNhsNumbers: [],
  };
}

/**
 * The insert of a new patient and its child rows, with `first` its first history entry and with
 * `event` its outbox event (+ NOTIFY, as libs/events enqueue does): one statement, one round trip
 * (docs/performance.md, "Hot paths: create, fourth pass"). Eight fixed texts: with and without a
 * GP, the version, the event.
 */
export function insertPatientSql(
  p: NewPatient,
  now: Date,
  first?: FirstVersion,
  event?: EventRow,
): Prisma.Sql {
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
        SELECT nhs_number, ${p.gp.odsCode}, ${p.gp.region}, ${p.gp.period.start!}::date FROM pt
        RETURNING *)`
    : Prisma.empty;
  const version = first
    ? Prisma.sql`, ver AS (
        INSERT INTO patient_version (nhs_number, version, change, changed_fields, changed_by,
                                     changed_by_ods, recorded_at, snapshot, reason, overridden_candidates)
        SELECT nhs_number, version, ${first.meta.change}, ${first.meta.changedFields}::text[],
               ${first.meta.changedBy}, ${first.meta.changedByOds}, ${now}::timestamptz,
               ${first.snapshot}::jsonb,
               ${first.meta.reason ?? null},
               ${first.meta.overriddenCandidates ?? []}::text[]
        FROM pt
        RETURNING id)`
    : Prisma.empty;
  const outbox = event
    ? Prisma.sql`, ev AS (
        INSERT INTO outbox_events
          (id, topic, key, ce_type, ce_source, ce_subject, ce_time, ce_dataschema,
           ods_code, region, regions, headers, payload)
        VALUES
          (${event.id}::uuid, ${event.topic}, ${event.key}, ${event.type}, ${event.source},
           ${event.subject}, ${event.time}::timestamptz, ${event.dataschema}, ${event.odsCode},
           ${event.region}, ${event.regions}::text[], ${event.headers}::jsonb, ${event.payload})
        RETURNING seq)`
    : Prisma.empty;
  const notify = event
    ? Prisma.sql`,
           (SELECT count(*) FROM ev, pg_notify(${OUTBOX_CHANNEL}, current_schema()))::int AS events`
    : Prisma.empty;
  const label = `identity_patient_${first ? 'register' : 'insert'}${p.gp ? '_gp' : ''}${event ? '_event' : ''}`;
  return Prisma.sql`${Prisma.raw(`${PREPARED_MARKER}${label} */`)}
    WITH pt AS (
      INSERT INTO patient (gender, birth_date, confidentiality, gp_ods_code, gp_region, version,
                           created_at, last_updated, registration_key, duplicate_override, nhs_number)
      SELECT ${p.gender}::gender, ${p.birthDate}::date,
             ${p.confidentiality}::confidentiality, ${p.gp?.odsCode ?? null}, ${p.gp?.region ?? null},
             1, ${now}::timestamptz, ${now}::timestamptz, ${p.registrationKey}, ${p.duplicateOverride}::boolean,
             ${p.nhsNumber}
      RETURNING *
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
      RETURNING *
    ), addresses AS (
      INSERT INTO patient_address (nhs_number, position, use, lines, city, district, postcode,
                                   postcode_norm, postcode_out, period_start, period_end)
      SELECT pt.nhs_number, x.position, x.use, ARRAY(SELECT jsonb_array_elements_text(x.lines)),
             x.city, x.district, x.postcode, x.postcode_norm, x.postcode_out, x.ps, x.pe
      FROM pt, jsonb_to_recordset(${JSON.stringify(addresses)}::jsonb) AS x(position int, use text,
           lines jsonb, city text, district text, postcode text, postcode_norm text,
           postcode_out text, ps date, pe date)
      RETURNING *
    ), telecom AS (
      INSERT INTO patient_telecom (nhs_number, position, system, value, use, period_start, period_end)
      SELECT pt.nhs_number, x.position, x.system, x.value, x.use, x.ps, x.pe
      FROM pt, jsonb_to_recordset(${JSON.stringify(telecom)}::jsonb) AS x(position int,
           system text, value text, use text, ps date, pe date)
      RETURNING *
    )${gp}${version}${outbox}
    SELECT ${RECORD_COLUMNS},
           COALESCE((SELECT ${NAMES_JSON} FROM names n), '[]') AS names,
           COALESCE((SELECT ${ADDRESSES_JSON} FROM addresses a), '[]') AS addresses,
           COALESCE((SELECT ${TELECOM_JSON} FROM telecom t), '[]') AS telecom,
           ${p.gp ? Prisma.sql`COALESCE((SELECT ${GPS_JSON} FROM gp g), '[]')` : Prisma.sql`'[]'::json`} AS gps,
           -- a number just allocated has no record merged into it
           ARRAY[]::text[] AS superseded${notify}
    FROM pt p`;
}
