import { toCloudEventHeaders } from '../cloudevents';
import type { OutgoingMessage } from '../port';
import { ORIGIN_TRACEPARENT_HEADER } from '../trace';

/** An `outbox_events` row as the relay reads it (seq as text: a bigint). */
export interface OutboxRow {
  id: string;
  seq: string;
  topic: string;
  key: string | null;
  ce_type: string;
  ce_source: string;
  ce_subject: string | null;
  ce_time: Date;
  ce_dataschema: string | null;
  ods_code: string | null;
  region: string | null;
  regions: string[] | null;
  headers: Record<string, unknown> | null;
  payload: Buffer;
}
/** The row → Kafka message mapping (CloudEvents binary mode). */
export function outboxRowToMessage(row: OutboxRow): OutgoingMessage {
  const extra: Record<string, string> = {};
  let correlationid: string | undefined;
  for (const [name, value] of Object.entries(row.headers ?? {})) {
    if (typeof value !== 'string') continue;
    if (name === 'ce_correlationid') correlationid = value;
    else extra[name] = value;
  }
  if (extra.traceparent) extra[ORIGIN_TRACEPARENT_HEADER] = extra.traceparent;
  return {
    topic: row.topic,
    key: row.key,
    value: row.payload,
    headers: toCloudEventHeaders(
      {
        id: row.id,
        source: row.ce_source,
        type: row.ce_type,
        time: row.ce_time.toISOString(),
        subject: row.ce_subject ?? undefined,
        dataschema: row.ce_dataschema ?? undefined,
        odscode: row.ods_code ?? undefined,
        region: row.region ?? undefined,
        regions: row.regions ?? [],
        correlationid,
      },
      extra,
    ),
  };
}
