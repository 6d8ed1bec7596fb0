import { randomUUID } from 'node:crypto';
import type { OutboxEventInput } from '../cloudevents';
import type { RawSqlClient } from '../sql-client';
import { injectTraceHeaders } from '../trace';

/** NOTIFY channel the relay LISTENs on; the payload is the schema that has new rows. */
export const OUTBOX_CHANNEL = 'trellis_outbox';

const SOURCE_PATTERN = /^\/trellis\/[a-z][a-z0-9-]*$/;
const TYPE_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*\.[A-Z][A-Za-z0-9]*\.v[0-9]+$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OutboxOptions {
  /** ce_source of every event this service writes: `/trellis/<service>`. */
  source: string;
}

export interface Outbox {
  readonly source: string;
  /**
   * Write one event in the caller's transaction (`tx` = the Prisma interactive-transaction
   * client, or a client for a single-statement write). Returns the event id (ce_id).
   */
  enqueue(tx: RawSqlClient, event: OutboxEventInput): Promise<string>;
  /** Write several events with one statement, in the given order. Returns their ids. */
  enqueueMany(tx: RawSqlClient, events: readonly OutboxEventInput[]): Promise<string[]>;
}

/** An outbox row as enqueue writes it (before ce_source and seq): validated, trace headers added. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string | null;
  type: string;
  subject: string | null;
  time: string;
  dataschema: string | null;
  odsCode: string | null;
  region: string | null;
  regions: string[];
  headers: string;
  payload: Uint8Array;
}

/**
 * The row enqueue writes for `event` (validated; the active trace's headers injected now), for a
 * caller that writes it as a part of a larger statement in its transaction (identity's
 * registration: the patient, its version and its event in one round trip). Such a caller must also
 * NOTIFY OUTBOX_CHANNEL with its schema in the same transaction, as enqueue does.
 */
export function outboxRow(event: OutboxEventInput): OutboxRow {
  const problems: string[] = [];
  if (!event.topic) problems.push('topic is required');
  if (!TYPE_PATTERN.test(event.type ?? '')) {
    problems.push(
      `type ${JSON.stringify(event.type)} must look like uk.nhs.trellis.<domain>.<Event>.v<N>`,
    );
  }
  if (!(event.payload instanceof Uint8Array))
    problems.push('payload must be protobuf bytes (Uint8Array)');
  if (event.key !== null && (typeof event.key !== 'string' || event.key === '')) {
    problems.push('key must be a non-empty string (the NHS number) or null');
  }
  if (event.id !== undefined && !UUID_PATTERN.test(event.id)) problems.push('id must be a uuid');
  if (event.time !== undefined && Number.isNaN(event.time.getTime()))
    problems.push('time is invalid');
  if (problems.length > 0) throw new Error(`invalid outbox event: ${problems.join('; ')}`);
  const headers: Record<string, string> = { ...injectTraceHeaders(), ...(event.headers ?? {}) };
  if (event.correlationId) headers.ce_correlationid = event.correlationId;
  return {
    id: event.id ?? randomUUID(),
    topic: event.topic,
    key: event.key,
    type: event.type,
    subject: event.subject ?? null,
    time: (event.time ?? new Date()).toISOString(),
    dataschema: event.dataschema ?? null,
    odsCode: event.odsCode ?? null,
    region: event.region ?? null,
    regions: [...(event.regions ?? [])],
    headers: JSON.stringify(headers),
    payload: event.payload,
  };
}

/** The outbox writer of one service. */
export function createOutbox(options: OutboxOptions): Outbox {
  if (!SOURCE_PATTERN.test(options.source)) {
    throw new Error(`outbox source ${JSON.stringify(options.source)} must be /trellis/<service>`);
  }
  const source = options.source;
  return {
    source,
    async enqueue(tx, event) {
      const r = outboxRow(event);
      // One round trip: insert + NOTIFY (delivered at commit, once per transaction and schema).
      // A named statement (libs/database PREPARED_MARKER), planned once per connection: an
      // enqueue cost PostgreSQL 240-325 us unnamed, 65-70 us named (docs/performance.md).
      await tx.$queryRaw`/* prepared:outbox_enqueue */
        WITH ins AS (
          INSERT INTO outbox_events
            (id, topic, key, ce_type, ce_source, ce_subject, ce_time, ce_dataschema,
             ods_code, region, regions, headers, payload)
          VALUES
            (${r.id}::uuid, ${r.topic}, ${r.key}, ${r.type}, ${source}, ${r.subject},
             ${r.time}::timestamptz, ${r.dataschema}, ${r.odsCode}, ${r.region},
             ${r.regions}::text[], ${r.headers}::jsonb, ${r.payload})
          RETURNING seq
        )
        SELECT count(*)::int AS n FROM ins, pg_notify(${OUTBOX_CHANNEL}, current_schema())`;
      return r.id;
    },
    async enqueueMany(tx, events) {
      if (events.length === 0) return [];
      const rows = events.map(outboxRow);
      const col = <K extends keyof OutboxRow>(k: K): OutboxRow[K][] => rows.map((row) => row[k]);
      const regions = rows.map((row) => JSON.stringify(row.regions));
      const payloads = rows.map((row) => Buffer.from(row.payload).toString('base64'));
      await tx.$queryRaw`/* prepared:outbox_enqueue_many */
        WITH ins AS (
          INSERT INTO outbox_events
            (id, topic, key, ce_type, ce_source, ce_subject, ce_time, ce_dataschema,
             ods_code, region, regions, headers, payload)
          SELECT u.id, u.topic, u.key, u.ce_type, ${source}, u.subject, u.t, u.ds, u.ods,
                 u.region, ARRAY(SELECT jsonb_array_elements_text(u.regions)), u.headers,
                 decode(u.payload, 'base64')
          FROM unnest(
            ${col('id')}::uuid[], ${col('topic')}::text[], ${col('key')}::text[],
            ${col('type')}::text[], ${col('subject')}::text[], ${col('time')}::timestamptz[],
            ${col('dataschema')}::text[], ${col('odsCode')}::text[], ${col('region')}::text[],
            ${regions}::jsonb[], ${col('headers')}::jsonb[], ${payloads}::text[]
          ) WITH ORDINALITY AS u(id, topic, key, ce_type, subject, t, ds, ods, region, regions,
                                  headers, payload, ord)
          ORDER BY u.ord
          RETURNING seq
        )
        SELECT count(*)::int AS n FROM ins, pg_notify(${OUTBOX_CHANNEL}, current_schema())`;
      return rows.map((row) => row.id);
    },
  };
}
